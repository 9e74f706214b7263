"""Feedback in English and Traditional Chinese.

Checks return ``Message`` values (a catalogue key and its parameters, or an
exercise author's own localized text); reporters render them in the reader's
language at the last moment, so one result serves every audience.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from string import Formatter
from typing import Any, Mapping

LANGS = ("en", "zh-TW")
DEFAULT_LANG = "en"

CATALOG: dict[str, dict[str, str]] = {
    # model checks
    "model.none": {"en": "no Keras model was built", "zh-TW": "沒有建立任何 Keras 模型"},
    "model.no_type": {"en": "no model with {types} layers was built", "zh-TW": "沒有建立含有 {types} 層的模型"},
    "model.ok": {"en": "model built in cell {cell}: {layers} ({params:,} parameters)",
                 "zh-TW": "第 {cell} 格建立的模型：{layers}（{params:,} 個參數）"},
    "model.closest": {"en": "closest model (created in cell {cell}): {layers}", "zh-TW": "最接近的模型（第 {cell} 格建立）：{layers}"},
    "model.layer_count": {"en": "expected {expected} layers after the input ({expected_types}), found {found} ({found_types})",
                          "zh-TW": "輸入之後應有 {expected} 層（{expected_types}），實際有 {found} 層（{found_types}）"},
    "model.layer_missing": {"en": "{label}: no such layer found", "zh-TW": "{label}：找不到這一層"},
    "model.layer_type": {"en": "layer #{position}: expected {expected}, found {found}",
                         "zh-TW": "第 {position} 層：應為 {expected}，實際為 {found}"},
    "model.fake_class": {"en": "layer #{position} is a class named {name} that is not Keras' {name}",
                         "zh-TW": "第 {position} 層是名為 {name} 的自訂類別，不是 Keras 的 {name}"},
    "model.attr": {"en": "{label}: {attr} expected {expected}, found {found}",
                   "zh-TW": "{label}：{attr} 應為 {expected}，實際為 {found}"},
    "model.no_setting": {"en": "{label} has no setting {attr} (the exercise's spec names it; the layer has: {settings})",
                         "zh-TW": "{label} 沒有 {attr} 這個設定（是題目設定檔寫的；這一層有：{settings}）"},
    "model.prop": {"en": "{prop} expected {expected}, found {found}", "zh-TW": "{prop} 應為 {expected}，實際為 {found}"},
    "model.unbuilt": {"en": "the model was never built, so its {props} are unknown: start it with keras.Input(shape) "
                            "or give its first layer input_shape=...",
                      "zh-TW": "模型沒有被建立（不知道輸入形狀），所以無法得知它的 {props}：請用 keras.Input(shape) 開頭，"
                               "或在第一層設定 input_shape=..."},
    # what a constraint expects, inside the messages above
    "expect.one_of": {"en": "one of {values}", "zh-TW": "{values} 其中之一"},
    "expect.between": {"en": "between {low} and {high}", "zh-TW": "介於 {low} 與 {high} 之間"},
    "expect.at_least": {"en": "at least {low}", "zh-TW": "至少 {low}"},
    "expect.at_most": {"en": "at most {high}", "zh-TW": "至多 {high}"},
    "expect.any": {"en": "any value", "zh-TW": "任意值"},
    "model.not_compiled": {"en": "the model was not compiled", "zh-TW": "模型沒有 compile"},
    "model.unwanted": {"en": "the model has {types} layers, which this model must not have",
                       "zh-TW": "模型含有 {types} 層，這個模型不應該有"},
    "model.none_of": {"en": "no layer is any of {expected} (found: {found})",
                      "zh-TW": "沒有任何一層是 {expected} 其中之一（實際：{found}）"},
    "model.not_trained": {"en": "the model built in cell {cell} was never trained (no fit that got through a batch)",
                          "zh-TW": "第 {cell} 格建立的模型沒有被訓練（沒有任何 fit 執行到一個 batch）"},
    "model.not_pretrained": {
        "en": "the model is not built on a pretrained model (keras.applications with weights='imagenet')",
        "zh-TW": "模型不是建立在預訓練模型之上（keras.applications 且 weights='imagenet'）"},
    # a training call in the student's terms (grader/rubric/describe.py)
    "kind.arrays": {"en": "arrays", "zh-TW": "陣列"},
    "kind.generator": {"en": "a Python generator you wrote", "zh-TW": "你自己寫的 Python generator"},
    "kind.sequence": {"en": "a keras.utils.Sequence", "zh-TW": "keras.utils.Sequence"},
    "kind.flow": {"en": "an ImageDataGenerator flow", "zh-TW": "ImageDataGenerator 的 flow"},
    "kind.flow_from_directory": {"en": "an ImageDataGenerator flow_from_directory",
                                 "zh-TW": "ImageDataGenerator 的 flow_from_directory"},
    "kind.flow_from_dataframe": {"en": "an ImageDataGenerator flow_from_dataframe",
                                 "zh-TW": "ImageDataGenerator 的 flow_from_dataframe"},
    "kind.dataset": {"en": "a tf.data.Dataset", "zh-TW": "tf.data.Dataset"},
    "kind.none": {"en": "no data", "zh-TW": "沒有資料"},
    "kind.other": {"en": "another object", "zh-TW": "其他物件"},
    "kind.stream": {"en": "a generator, Sequence or ImageDataGenerator flow",
                    "zh-TW": "generator、Sequence 或 ImageDataGenerator 的 flow"},
    "kind.either": {"en": "{first} or {rest}", "zh-TW": "{first} 或 {rest}"},
    "describe.call": {"en": "{method} in cell {cell} on {source}: {args}",
                      "zh-TW": "第 {cell} 格的 {method}，資料來源：{source}；參數：{args}"},
    "describe.callbacks": {"en": "callbacks: {callbacks}", "zh-TW": "callbacks：{callbacks}"},
    "describe.augmentation": {"en": "augmentation: {settings}", "zh-TW": "資料增強：{settings}"},
    "describe.batch": {"en": "first batch the model received: x {x}; y {y}", "zh-TW": "模型收到的第一個 batch：x {x}；y {y}"},
    # training checks
    "training.none": {"en": "your code never called {calls}", "zh-TW": "程式沒有呼叫 {calls}"},
    "training.ok": {"en": "{method} in cell {cell} on {source}", "zh-TW": "第 {cell} 格的 {method}，資料來源：{source}"},
    "training.unfinished_review": {
        "en": "{method} in cell {cell} ran here, but your saved notebook shows that cell did not run to its end "
              "in your own session (not run, interrupted or stopped by an error): a TA will confirm the result "
              "you report",
        "zh-TW": "第 {cell} 格的 {method} 在這裡執行了，但你存檔的 notebook 顯示那一格在你自己的環境中沒有執行完"
                 "（未執行、被中斷或發生錯誤）：助教會確認你回報的結果"},
    "training.closest": {"en": "{method} in cell {cell} is the closest", "zh-TW": "最接近的是第 {cell} 格的 {method}"},
    "training.augmentation_configured": {
        "en": "an ImageDataGenerator with random transforms is set up",
        "zh-TW": "已設定含隨機轉換的 ImageDataGenerator"},
    "training.data": {"en": "{method} in cell {cell} was fed {found}, not {expected}",
                      "zh-TW": "第 {cell} 格的 {method} 用的資料是 {found}，不是{expected}"},
    "training.not_ran": {"en": "{method} in cell {cell} stopped before its first batch ({error})",
                         "zh-TW": "第 {cell} 格的 {method} 在第一個 batch 之前就停止了（{error}）"},
    "training.not_augmented": {
        "en": "the batches of {method} in cell {cell} came from no ImageDataGenerator with a random transform "
              "(rotation, shift, flip, zoom, shear...; rescale alone is none)",
        "zh-TW": "第 {cell} 格的 {method} 所用的 batch 不是來自含隨機轉換的 ImageDataGenerator"
                 "（旋轉、平移、翻轉、縮放、剪切等；只有 rescale 不算）"},
    "training.arg": {"en": "{method} in cell {cell}: {arg} expected {expected}, found {found}",
                     "zh-TW": "第 {cell} 格的 {method}：{arg} 應為 {expected}，實際為 {found}"},
    "training.no_callbacks": {"en": "{method} in cell {cell} was given no callbacks (callbacks=[...])",
                              "zh-TW": "第 {cell} 格的 {method} 沒有傳入 callbacks（callbacks=[...]）"},
    "training.wrong_callbacks": {"en": "{method} in cell {cell} was given {found}, none of {expected}",
                                 "zh-TW": "第 {cell} 格的 {method} 傳入的是 {found}，不是 {expected} 其中之一"},
    "training.inert_callback": {
        "en": "{name} watches {monitor}, but {method} in cell {cell} has no validation data: it never acts "
              "(give validation_data, or monitor a training quantity such as 'loss')",
        "zh-TW": "{name} 監看 {monitor}，但第 {cell} 格的 {method} 沒有驗證資料，所以它從不作用"
                 "（請給 validation_data，或改為監看 'loss' 等訓練數值）"},
    "training.no_batch": {"en": "no batch reached the model in {method} in cell {cell}",
                          "zh-TW": "第 {cell} 格的 {method} 沒有任何 batch 送進模型"},
    "training.batch_shape": {"en": "the first batch's x is {found}, but the model takes {expected}",
                             "zh-TW": "第一個 batch 的 x 是 {found}，但模型的輸入是 {expected}"},
    "training.batch_range": {"en": "the first batch's x is {found}: its {bound} should be {expected}",
                             "zh-TW": "第一個 batch 的 x 是 {found}：它的 {bound} 應為 {expected}"},
    "training.batch_dtype": {"en": "the first batch's x is {found}, expected {expected}",
                             "zh-TW": "第一個 batch 的 x 型別是 {found}，應為 {expected}"},
    "training.batch_y": {"en": "the first batch's y has per-sample shape {found}, expected {expected}",
                         "zh-TW": "第一個 batch 的 y 每筆形狀是 {found}，應為 {expected}"},
    "training.model": {"en": "{method} in cell {cell} trained a model that is not the one of “{check}”",
                       "zh-TW": "第 {cell} 格的 {method} 訓練的不是「{check}」的模型"},
    "training.untrained": {"en": "{method} in cell {cell} used a model that was never trained before it",
                           "zh-TW": "第 {cell} 格的 {method} 使用的模型在此之前沒有訓練過"},
    # experiment checks
    "experiment.any_model": {"en": "any model", "zh-TW": "任何模型"},
    "experiment.ok": {"en": "{n} set-ups of “{family}” trained: {differ}", "zh-TW": "訓練了「{family}」的 {n} 種設定：{differ}"},
    "experiment.none": {"en": "no model of “{family}” was trained", "zh-TW": "沒有訓練任何「{family}」的模型"},
    "experiment.few": {
        "en": "{n} set-up(s) of “{family}” in {runs} training run(s); at least {expected} that differ in one of "
              "{props} are asked for",
        "zh-TW": "{runs} 次訓練中「{family}」只有 {n} 種設定；需要至少 {expected} 種在 {props} 其中之一有所不同的設定"},
    "experiment.reused": {
        "en": "only {n} set-up(s) of “{family}” trained a model of their own; the others went on training a model "
              "another set-up had trained, so they compare nothing: build a fresh model for each (at least {expected})",
        "zh-TW": "「{family}」只有 {n} 種設定訓練的是自己的模型；其他設定接著訓練了前一種設定訓練過的模型，"
                 "無法比較：每種設定請重新建立模型（至少 {expected} 種）"},
    "experiment.baseline": {"en": "set-up {n}, the template's: {values}", "zh-TW": "設定 {n}（範本的）：{values}"},
    "experiment.variant": {"en": "set-up {n}, cell {cells} ({runs} run(s)): {values}",
                           "zh-TW": "設定 {n}，第 {cells} 格（{runs} 次訓練）：{values}"},
    "experiment.variant_change": {"en": "set-up {n}, cell {cells} ({runs} run(s)), changed: {values}",
                                  "zh-TW": "設定 {n}，第 {cells} 格（{runs} 次訓練），改變了：{values}"},
    "experiment.variant_reused_change": {
        "en": "set-up {n}, cell {cells} ({runs} run(s)), changed: {values} (went on training an earlier set-up's model)",
        "zh-TW": "設定 {n}，第 {cells} 格（{runs} 次訓練），改變了：{values}（接著訓練前一種設定的模型）"},
    "experiment.variant_reused": {
        "en": "set-up {n}, cell {cells} ({runs} run(s)): {values} (went on training an earlier set-up's model)",
        "zh-TW": "設定 {n}，第 {cells} 格（{runs} 次訓練）：{values}（接著訓練前一種設定的模型）"},
    # technique checklists
    "techniques.some": {"en": "{n} of {total} techniques shown: {names}", "zh-TW": "{total} 項技巧中用到 {n} 項：{names}"},
    "techniques.none_shown": {"en": "none of the {total} techniques was found in the run",
                              "zh-TW": "執行結果中沒有發現 {total} 項技巧中的任何一項"},
    "techniques.shown": {"en": "✓ {title}: {message}", "zh-TW": "✓ {title}：{message}"},
    "techniques.item_review": {"en": "{title}: {message}", "zh-TW": "{title}：{message}"},
    "techniques.missing": {"en": "✗ {title}: {message}", "zh-TW": "✗ {title}：{message}"},
    "techniques.missing_hint": {"en": "✗ {title}: {message}. {hint}", "zh-TW": "✗ {title}：{message}。{hint}"},
    # written answers (explanations, observations) and claims about the student's own models
    "written.ok": {"en": "answer to question {question} is there and says something", "zh-TW": "第 {question} 題有實質的作答"},
    "written.short": {"en": "answer to question {question} (“{excerpt}”) is too short to say something: explain in a "
                            "sentence what you saw and why",
                      "zh-TW": "第 {question} 題的答案（「{excerpt}」）太短，看不出內容：請用一句話說明你觀察到什麼、原因為何"},
    "written.review_short": {"en": "the answer to question {question} is short: it may still be right",
                             "zh-TW": "第 {question} 題的答案很短，但仍可能是對的"},
    "written.review_topic": {"en": "the answer to question {question} names none of the things the question is about",
                             "zh-TW": "第 {question} 題的答案沒有提到題目問的任何一項"},
    "claim.measured": {"en": "your run measured: {values}", "zh-TW": "你的執行結果：{values}"},
    "claim.ok_larger": {"en": "you name {named} as the larger, and your own models agree",
                        "zh-TW": "你的答案是 {named} 較多，與你自己的模型相符"},
    "claim.ok_smaller": {"en": "you name {named} as the smaller, and your own models agree",
                         "zh-TW": "你的答案是 {named} 較少，與你自己的模型相符"},
    "claim.wrong_larger": {"en": "you name {named} as the larger, but in your own run it is {truth}",
                           "zh-TW": "你的答案是 {named} 較多，但在你自己的執行結果中是 {truth}"},
    "claim.wrong_smaller": {"en": "you name {named} as the smaller, but in your own run it is {truth}",
                            "zh-TW": "你的答案是 {named} 較少，但在你自己的執行結果中是 {truth}"},
    "claim.unclear": {"en": "answer to question {question} (“{excerpt}”) does not say which one has more: name it "
                            "(e.g. “X has more parameters, because ...”)",
                      "zh-TW": "第 {question} 題的答案（「{excerpt}」）沒有說出哪一個比較多：請明確寫出（例如「X 的參數較多，因為……」）"},
    "claim.unjudged": {"en": "you name {named}, and your run built nothing to compare it with",
                       "zh-TW": "你的答案是 {named}，但你的執行結果中沒有可以比較的模型"},
    "claim.review_unclear": {"en": "no comparison was read in the answer to question {question}",
                             "zh-TW": "第 {question} 題的答案中讀不出比較"},
    "claim.review_conflict": {"en": "the answer to question {question} says both", "zh-TW": "第 {question} 題的答案兩種說法都有"},
    "claim.review_unmeasured": {"en": "the run did not build the models to compare",
                                "zh-TW": "執行結果中沒有建立要比較的模型"},
    "claim.review_template": {"en": "the run did not build both models, so the template's answer ({truth}) was used",
                              "zh-TW": "執行結果沒有建立兩個模型，因此以範本的答案（{truth}）評分"},
    "claim.review_mixed": {"en": "the student's models disagree: either answer was accepted",
                           "zh-TW": "學生的模型彼此結果不同：兩種答案都接受"},
    # where a layer's numbers come from (grader/rubric/arithmetic.py), in the student's own terms
    "arith.conv": {"en": "{layer} {kernel}, {cin} → {filters} channels: {formula} = {params} parameters",
                   "zh-TW": "{layer} {kernel}，{cin} → {filters} 個通道：{formula} = {params} 個參數"},
    "arith.separable": {
        "en": "{layer} {kernel}, {cin} → {filters} channels: depthwise + pointwise {formula} = {params} parameters",
        "zh-TW": "{layer} {kernel}，{cin} → {filters} 個通道：depthwise + pointwise {formula} = {params} 個參數"},
    "arith.separable_dm": {
        "en": "{layer} {kernel}, {cin} → {filters} channels, depth_multiplier {dm}: depthwise + pointwise "
              "{formula} = {params} parameters",
        "zh-TW": "{layer} {kernel}，{cin} → {filters} 個通道，depth_multiplier {dm}：depthwise + pointwise "
                 "{formula} = {params} 個參數"},
    "arith.depthwise": {"en": "{layer} {kernel} on {cin} channels, depth_multiplier {dm}: {formula} = {params} parameters",
                        "zh-TW": "{layer} {kernel}，{cin} 個通道，depth_multiplier {dm}：{formula} = {params} 個參數"},
    "arith.dense": {"en": "{layer}, {cin} inputs → {units} units: {formula} = {params} parameters",
                    "zh-TW": "{layer}，{cin} 個輸入 → {units} 個神經元：{formula} = {params} 個參數"},
    "arith.batchnorm": {"en": "{layer} on {channels} channels (gamma, beta, moving mean and variance): {formula} = "
                              "{params} parameters",
                        "zh-TW": "{layer}，{channels} 個通道（gamma、beta、移動平均與變異數）：{formula} = {params} 個參數"},
    "arith.no_weights": {"en": "{layer} has no weights: 0 parameters", "zh-TW": "{layer} 沒有權重：0 個參數"},
    "arith.total": {"en": "sum over the layers: {terms} = {total}", "zh-TW": "各層相加：{terms} = {total}"},
    "arith.size_valid": {"en": "output size {formula} = {size} with padding='valid'",
                         "zh-TW": "輸出大小 {formula} = {size}（padding='valid'）"},
    "arith.size_same": {"en": "output size {formula} = {size} with padding='same'",
                        "zh-TW": "輸出大小 {formula} = {size}（padding='same'）"},
    "arith.size_kept": {"en": "output size {size}, the input's: padding='same' with strides 1 keeps it",
                        "zh-TW": "輸出大小 {size}，與輸入相同：padding='same' 且 strides 為 1 時不變"},
    "arith.flatten": {"en": "flattened: {formula} = {size} values per sample", "zh-TW": "攤平：{formula} = 每筆資料 {size} 個值"},
    "arith.dim": {"en": "{dim}: {text}", "zh-TW": "{dim}：{text}"},
    "arith.dims2": {"en": "{d0}; {d1}", "zh-TW": "{d0}；{d1}"},
    "arith.dims3": {"en": "{d0}; {d1}; {d2}", "zh-TW": "{d0}；{d1}；{d2}"},
    "dim.length": {"en": "length", "zh-TW": "長度"},
    "dim.height": {"en": "height", "zh-TW": "高"},
    "dim.width": {"en": "width", "zh-TW": "寬"},
    "dim.depth": {"en": "depth", "zh-TW": "深"},
    # answer checks
    "answer.missing": {"en": "answer to question {question} not found", "zh-TW": "找不到第 {question} 題的答案"},
    "answer.ok": {"en": "answer to question {question} accepted", "zh-TW": "第 {question} 題答案正確"},
    "answer.partial": {"en": "answer to question {question} is partly right", "zh-TW": "第 {question} 題答案部分正確"},
    "answer.wrong": {"en": "answer to question {question} (\u201c{excerpt}\u201d) is not the expected answer",
                     "zh-TW": "第 {question} 題的答案（「{excerpt}」）不正確"},
    # where a verdict was read (any check that reads the student's text), and why nothing was
    "evidence.read": {"en": "read in cell {cell}, line {line}: \u201c{excerpt}\u201d",
                      "zh-TW": "讀自第 {cell} 格第 {line} 行：「{excerpt}」"},
    "evidence.read_script": {"en": "read at line {line}: \u201c{excerpt}\u201d", "zh-TW": "讀自第 {line} 行：「{excerpt}」"},
    "evidence.blank_under_prompt": {
        "en": "question {question} was found in cell {cell}, but nothing was written under it, and no answer is "
              "numbered {question}",
        "zh-TW": "在第 {cell} 格找到第 {question} 題，但題目下方沒有作答，也沒有標為第 {question} 題的答案"},
    "evidence.no_prompt": {
        "en": "neither question {question} (copied or quoted) nor an answer numbered {question} was found in your "
              "text; answer under the question, or number your answer {question}",
        "zh-TW": "在你的文字中找不到第 {question} 題的題目（原文或引用），也找不到標為第 {question} 題的答案；"
                 "請在題目下方作答，或把答案標上題號 {question}"},
    "evidence.no_text": {"en": "the submission has no text of yours to read answers from",
                         "zh-TW": "繳交的檔案中沒有你寫的文字，無法讀取答案"},
    # why a person should look at a verdict (the check still scores; the reports list it)
    "review.note": {"en": "a person will look at this: {reason}", "zh-TW": "助教會再人工確認：{reason}"},
    "review.unclaimed": {
        "en": "no answer to question {question} was found, but cell {cell} has text of yours that no question "
              "claimed (\u201c{excerpt}\u201d)",
        "zh-TW": "找不到第 {question} 題的答案，但第 {cell} 格有你寫的文字沒有對應到任何一題（「{excerpt}」）"},
    "review.conflict": {
        "en": "question {question} is answered twice and the answers disagree (cell {cell}: \u201c{first}\u201d; "
              "cell {other}: \u201c{second}\u201d)",
        "zh-TW": "第 {question} 題有兩個答案且互相矛盾（第 {cell} 格：「{first}」；第 {other} 格：「{second}」）"},
    "review.pointing": {
        "en": "question {question} is copied in a comment above code in cell {cell} (\u201c{code}\u201d) with nothing "
              "written after it: perhaps that code is meant as the answer",
        "zh-TW": "第 {question} 題的題目被寫在第 {cell} 格程式碼上方的註解裡（「{code}」），後面沒有作答：也許是指這段程式碼"},
    "review.unclear": {
        "en": "the answer to question {question} is neither an expected answer nor a known wrong one",
        "zh-TW": "第 {question} 題的答案既不是預期的答案，也不是已知的錯誤答案"},
    # run-level notes
    # why a run did not end normally, and what the student can do (keys: "status." + Status value)
    "status.timeout": {
        "en": "your code ran past a time limit and was stopped there: the checks were graded on the models it "
              "built. Look for long loops or long training (epochs)",
        "zh-TW": "程式執行超過時間限制而在該處被中止：依已建立的模型評分。請檢查是否有很長的迴圈或訓練（epochs）"},
    "status.memory-limit": {
        "en": "your code used more memory than the grader allows and was stopped: the checks were graded on what "
              "it had built by then. Use smaller arrays, batches or models",
        "zh-TW": "程式使用的記憶體超過上限而被中止：只依中止前建立的內容評分。請改用較小的陣列、batch 或模型"},
    "status.kernel-died": {
        "en": "Python stopped while running your code (exit(), quit() or a crash): the checks were graded on what "
              "it had built by then. Remove exit() and quit() calls",
        "zh-TW": "執行你的程式時 Python 停止了（exit()、quit() 或程式崩潰）：只依停止前建立的內容評分。請移除 exit() 與 quit()"},
    "status.output-limit": {
        "en": "your code printed more than the grader keeps and was stopped: the checks were graded on what it had "
              "built by then. Print less (e.g. verbose=0 in fit, no print inside long loops)",
        "zh-TW": "程式輸出的內容超過上限而被中止：只依中止前建立的內容評分。請減少輸出（例如 fit 用 verbose=0，長迴圈內不要 print）"},
    "status.invalid-submission": {"en": "this file could not be graded as it was handed in; the reason follows",
                                  "zh-TW": "這個檔案無法以繳交的樣子評分，原因如下"},
    "status.internal-error": {
        "en": "the grader itself failed on this file: this says nothing about your work. Tell your TA, "
              "who can grade it again",
        "zh-TW": "評分程式本身在這個檔案上出錯，與你的作業無關。請告訴助教，助教可以重新評分"},
    "run.models_dropped": {
        "en": "your code built more models than the grader inspects: the first {kept} were checked, {n} later "
              "ones were not. Build the exercise's models before any loop that builds many",
        "zh-TW": "程式建立的模型超過評分程式檢查的數量：只檢查了前 {kept} 個，之後的 {n} 個沒有檢查。"
                 "請在會建立大量模型的迴圈之前先建立題目要求的模型"},
    "run.cell_error": {"en": "cell {cell} raised {name}: {value}", "zh-TW": "第 {cell} 格發生 {name}：{value}"},
    "run.cell_line_error": {"en": "cell {cell}, line {line} raised {name}: {value}",
                            "zh-TW": "第 {cell} 格第 {line} 行發生 {name}：{value}"},
    "run.script_error": {"en": "line {line} raised {name}: {value}", "zh-TW": "第 {line} 行發生 {name}：{value}"},
    "run.cell_timeout": {"en": "cell {cell} was stopped after {seconds:g} s: it ran past its time limit",
                         "zh-TW": "第 {cell} 格執行超過時間限制，在 {seconds:g} 秒後被中止"},
    # what the kernel-side shims did (grader/harvest/offline.py sends the key after "shim.")
    "shim.dataset_cache": {"en": "dataset {name} was loaded from the grader's local copy (there is no network here)",
                           "zh-TW": "資料集 {name} 由評分程式的本機副本提供（這裡沒有網路）"},
    "shim.dataset_generated": {
        "en": "dataset {name} was replaced by random arrays of its real shapes and types (there is no network here): "
              "accuracies your code prints mean nothing in this run",
        "zh-TW": "資料集 {name} 以形狀與型別相同的隨機陣列代替（這裡沒有網路）：本次執行中程式印出的準確率沒有意義"},
    "shim.colab_magic": {"en": "{magic} is Colab's and was ignored here: TensorFlow {version} is installed",
                         "zh-TW": "{magic} 是 Colab 專用的指令，這裡略過：已安裝的是 TensorFlow {version}"},
    "shim.helper_renamed": {
        "en": "there is no module {written} here: it was read as the exercise's own {helper}.py, which the course supplies",
        "zh-TW": "這裡沒有模組 {written}：已改用本作業附的 {helper}.py（課程提供的檔案）"},
    "shim.budget_fit": {
        "en": "fit() was limited to {steps} batch(es) per epoch: the checks read the model, not its training",
        "zh-TW": "fit() 被限制為每個 epoch {steps} 個 batch：評分只看模型，不看訓練結果"},
    "shim.budget_fit_epochs": {
        "en": "fit() was limited to {steps} batch(es) per epoch and {epochs} epoch(s): the checks read the model, "
              "not its training",
        "zh-TW": "fit() 被限制為每個 epoch {steps} 個 batch、共 {epochs} 個 epoch：評分只看模型，不看訓練結果"},
    "shim.budget_fit_batch": {
        "en": "fit() was limited to {steps} batch(es) of at most {batch} samples per epoch: the checks read the "
              "model, not its training",
        "zh-TW": "fit() 被限制為每個 epoch {steps} 個 batch（每個 batch 最多 {batch} 筆資料）：評分只看模型，不看訓練結果"},
    "shim.budget_fit_batch_epochs": {
        "en": "fit() was limited to {steps} batch(es) of at most {batch} samples per epoch and {epochs} epoch(s): "
              "the checks read the model, not its training",
        "zh-TW": "fit() 被限制為每個 epoch {steps} 個 batch（每個 batch 最多 {batch} 筆資料）、共 {epochs} 個 epoch："
                 "評分只看模型，不看訓練結果"},
    "shim.budget_call": {"en": "{call}() was limited to {steps} batch(es): the checks read the model, not its results",
                         "zh-TW": "{call}() 被限制為 {steps} 個 batch：評分只看模型，不看執行結果"},
    "shim.budget_call_batch": {
        "en": "{call}() was limited to {steps} batch(es) of at most {batch} samples: the checks read the model, "
              "not its results",
        "zh-TW": "{call}() 被限制為 {steps} 個 batch（每個 batch 最多 {batch} 筆資料）：評分只看模型，不看執行結果"},
    "shim.budget_generator_silent": {
        "en": "the generator {function} given to {call}() had not yielded a single batch when the cell's time limit "
              "stopped it: check that it yields (x, y) inside its loop",
        "zh-TW": "傳給 {call}() 的 generator {function} 在這格到達時間限制被中止時，連一個 batch 都還沒產生："
                 "請確認它在迴圈內 yield (x, y)"},
    # the Keras 2 layer (grader/harvest/compat.py): what a Keras 2 notebook used, and how Keras 3 ran it
    "shim.keras2": {"en": "`{old}` is Keras 2: run as `{new}`", "zh-TW": "`{old}` 是 Keras 2 的寫法：以 `{new}` 執行"},
    "shim.keras2_ignored": {"en": "`{old}` is Keras 2 and has no Keras 3 counterpart: ignored",
                            "zh-TW": "`{old}` 是 Keras 2 的寫法，Keras 3 沒有對應的設定：略過"},
    "shim.tensorboard_off": {"en": "TensorBoard logs are not written here (no TensorBoard server): the callback "
                                    "ran and recorded nothing",
                              "zh-TW": "這裡不寫 TensorBoard 紀錄（沒有 TensorBoard 伺服器）：callback 有執行但不記錄任何東西"},
    "shim.pretrained_untrained": {
        "en": "pretrained weights {file} need a download (there is no network here): the model was built with "
              "untrained weights; the checks read what was built and how it was trained",
        "zh-TW": "預訓練權重 {file} 需要下載（這裡沒有網路）：模型以未訓練的權重建立；評分只看建立的模型與訓練方式"},
    "shim.pretrained_local": {"en": "pretrained weights {file} were loaded from the grader's local copy",
                              "zh-TW": "預訓練權重 {file} 由評分程式的本機副本載入"},
    # how models were trained (the reports' details; facts from grader/harvest/training.py)
    "training.call": {"en": "cell {cell}, {method}() of model #{model}: {source}",
                      "zh-TW": "第 {cell} 格，模型 #{model} 的 {method}()：{source}"},
    "training.source.arrays": {"en": "arrays of {samples} samples", "zh-TW": "{samples} 筆資料的陣列"},
    "training.source.generator": {"en": "Python generator {function}", "zh-TW": "Python generator {function}"},
    "training.source.flow": {"en": "ImageDataGenerator #{generator} {kind} in batches of {batch}",
                             "zh-TW": "ImageDataGenerator #{generator} 的 {kind}，每批 {batch} 筆"},
    "training.source.sequence": {"en": "Sequence {name}", "zh-TW": "Sequence {name}"},
    "training.source.dataset": {"en": "tf.data.Dataset", "zh-TW": "tf.data.Dataset"},
    "training.source.none": {"en": "no data", "zh-TW": "沒有資料"},
    "training.source.other": {"en": "a {name}", "zh-TW": "{name} 物件"},
    "training.first_batch": {"en": "first batch x {x}, y {y}", "zh-TW": "第一批 x {x}，y {y}"},
    "training.callbacks": {"en": "callbacks {callbacks}", "zh-TW": "callbacks：{callbacks}"},
    "training.optimizer": {"en": "{name}, learning rate {rate}", "zh-TW": "{name}，學習率 {rate}"},
    "training.steps": {"en": "asked {epochs} epoch(s) of {steps} step(s), ran {ran_epochs} epoch(s), {ran_steps} step(s)",
                       "zh-TW": "要求 {epochs} 個 epoch、每個 {steps} 步，實際執行 {ran_epochs} 個 epoch、{ran_steps} 步"},
    "training.batches": {"en": "asked {steps} step(s), ran {ran_steps}", "zh-TW": "要求 {steps} 步，實際執行 {ran_steps} 步"},
    "training.error": {"en": "raised {error}", "zh-TW": "發生 {error}"},
    "training.generator": {"en": "ImageDataGenerator #{generator} (cell {cell}): {settings}",
                           "zh-TW": "ImageDataGenerator #{generator}（第 {cell} 格）：{settings}"},
    "training.no_augmentation": {"en": "no random augmentation", "zh-TW": "沒有隨機的資料增強"},
    # why a file cannot be graded at all (grader/submission/loader.py), and what to do about it
    "invalid.no_file": {"en": "no such file", "zh-TW": "找不到這個檔案"},
    "invalid.zip": {"en": "a zip archive is not a notebook", "zh-TW": "zip 壓縮檔不是筆記本"},
    "invalid.file_type": {"en": "unsupported file type {suffix}", "zh-TW": "不支援的檔案類型 {suffix}"},
    "invalid.too_big": {"en": "file is {mib} MiB, more than {limit} MiB", "zh-TW": "檔案有 {mib} MiB，超過上限 {limit} MiB"},
    "invalid.empty": {"en": "the file is empty", "zh-TW": "檔案是空的"},
    "invalid.folder": {"en": "expected one .ipynb or .py file in the folder, found {n}",
                       "zh-TW": "資料夾中應有一個 .ipynb 或 .py 檔，實際有 {n} 個"},
    "invalid.encoding": {"en": "the file is neither UTF-8 nor Big5: byte 0x{byte} at line {line} (offset {offset}) "
                               "cannot be decoded",
                         "zh-TW": "檔案既不是 UTF-8 也不是 Big5 編碼：第 {line} 行的位元組 0x{byte}（位置 {offset}）無法解碼"},
    "invalid.json_nested": {"en": "not a valid notebook: its JSON is nested too deeply",
                            "zh-TW": "不是有效的筆記本：JSON 的巢狀層數太深"},
    "invalid.json": {"en": "not a valid notebook: JSON error at line {line}, column {column} ({detail})",
                     "zh-TW": "不是有效的筆記本：第 {line} 行第 {column} 欄的 JSON 有錯（{detail}）"},
    "invalid.json_truncated": {
        "en": "not a valid notebook: JSON error at line {line}, column {column} ({detail}) — the file looks truncated",
        "zh-TW": "不是有效的筆記本：第 {line} 行第 {column} 欄的 JSON 有錯（{detail}），檔案看起來不完整"},
    "invalid.not_notebook": {"en": "the file is JSON but not a Jupyter notebook (no 'cells')",
                             "zh-TW": "檔案是 JSON，但不是 Jupyter 筆記本（沒有 'cells'）"},
    "invalid.nbformat": {"en": "unsupported notebook format version {version} (supported: 3 and 4)",
                         "zh-TW": "不支援的筆記本格式版本 {version}（支援 3 與 4）"},
    "invalid.notebook": {"en": "not a valid notebook: {detail}", "zh-TW": "不是有效的筆記本：{detail}"},
    "invalid.cells": {"en": "not a valid notebook: its 'cells' is a JSON {kind}, not a list of cells",
                      "zh-TW": "不是有效的筆記本：'cells' 是 JSON 的 {kind}，不是 cell 的清單"},
    "invalid.cell": {"en": "not a valid notebook: cell {number} is not a cell (a JSON object)",
                     "zh-TW": "不是有效的筆記本：第 {number} 個 cell 不是 cell（JSON 物件）"},
    "invalid.syntax": {"en": "the script has a syntax error at line {line}: {detail}",
                       "zh-TW": "程式第 {line} 行有語法錯誤：{detail}"},
    "invalid.compile": {"en": "the script cannot be compiled: {detail}", "zh-TW": "程式無法編譯：{detail}"},
    "fix.path": {"en": "check the path", "zh-TW": "請檢查路徑"},
    "fix.unzip": {"en": "unzip it and hand in the .ipynb or .py inside (`grader grade` opens a student's zip one "
                        "level deep, not a zip within a zip)",
                  "zh-TW": "請解壓縮，繳交裡面的 .ipynb 或 .py（`grader grade` 只打開學生的一層 zip，不打開 zip 裡的 zip）"},
    "fix.file_type": {"en": "hand in a Jupyter notebook (.ipynb) or a Python script (.py)",
                      "zh-TW": "請繳交 Jupyter 筆記本（.ipynb）或 Python 程式檔（.py）"},
    "fix.clear_outputs": {"en": "clear the notebook's outputs before handing it in",
                          "zh-TW": "繳交前請清除筆記本的輸出（Clear All Outputs）"},
    "fix.data_in_script": {"en": "load data from a file instead of pasting it into the script",
                           "zh-TW": "請從檔案讀取資料，不要把資料貼進程式裡"},
    "fix.save_notebook": {"en": "save the notebook (File > Save) and hand it in again",
                          "zh-TW": "請存檔（File > Save）後重新繳交"},
    "fix.save_script": {"en": "save the script in your editor and hand it in again", "zh-TW": "請在編輯器中存檔後重新繳交"},
    "fix.point_at_file": {"en": "point at the file itself", "zh-TW": "請直接指定檔案"},
    "fix.utf8": {"en": "open the file in an editor and save it with UTF-8 encoding",
                 "zh-TW": "請用編輯器打開檔案，以 UTF-8 編碼存檔"},
    "fix.redownload": {"en": "re-download or re-save the notebook from Jupyter and hand it in again",
                       "zh-TW": "請重新下載，或在 Jupyter 中重新存檔後再繳交"},
    "fix.ipynb": {"en": "hand in the .ipynb file that Jupyter saved", "zh-TW": "請繳交 Jupyter 存的 .ipynb 檔"},
    "fix.current_jupyter": {"en": "open and save the notebook with a current Jupyter",
                            "zh-TW": "請用新版的 Jupyter 打開並存檔"},
    "fix.resave": {"en": "open and save the notebook with Jupyter, then hand it in again",
                   "zh-TW": "請用 Jupyter 打開並存檔，再重新繳交"},
    "fix.py_compile": {"en": "run `python -m py_compile FILE` and fix the line it names",
                       "zh-TW": "請執行 `python -m py_compile 檔名`，修正它指出的那一行"},
    "fix.label": {"en": "hint", "zh-TW": "提示"},
    "check.hidden": {"en": "hidden check", "zh-TW": "隱藏的評分項目"},
    # why a TA should open a submission by hand (the class report, the batch summary)
    "look.over_cap": {"en": "printed {bytes:,} bytes over the output cap", "zh-TW": "輸出超過上限 {bytes:,} 位元組"},
    "look.older": {"en": "older duplicate of {id}", "zh-TW": "{id} 的較舊重複檔"},
    "look.review": {"en": "check {id} needs a look: {reason}", "zh-TW": "評分項目 {id} 需要人工確認：{reason}"},
    "look.several": {"en": "{n} files handed in; graded the newest", "zh-TW": "交了 {n} 個檔案；以最新的評分"},
    "isolation.partial": {"en": "this run was not fully isolated ({layers}); see `grader doctor`",
                          "zh-TW": "本次執行未完全隔離（{layers}）；請執行 `grader doctor`"},
}


def number(value: Any) -> str:
    """A scalar as every report writes it: thousands grouped ("2,555", "19,392"), as Keras' summary does.

    The one formatter for counts: constraints, answer matchers, the model
    comparison and every catalogue field written ``{name:,}`` come here, so
    one report never says "19,392" on one line and "2555" on the next.
    Shapes and kernel sizes are tuples, written as code (``(220, 220, 64)``).
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    return f"{value:,}" if isinstance(value, int) else f"{value:,.6g}"


class _Formatter(Formatter):
    """``str.format`` with ``{n:,}`` written by ``number``."""

    def format_field(self, value: Any, format_spec: str) -> Any:
        if format_spec == "," and isinstance(value, (int, float)) and not isinstance(value, bool):
            return number(value)
        return super().format_field(value, format_spec)


_FORMAT = _Formatter()


def normalise_lang(lang: str | None) -> str:
    if not lang:
        return DEFAULT_LANG
    low = lang.replace("_", "-").lower()
    if low.startswith("zh"):
        return "zh-TW"
    return "en"


@dataclass(frozen=True)
class Message:
    """A catalogue key with parameters, or literal per-language text (``key is None``)."""

    key: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    text: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, key: str, **params: Any) -> "Message":
        if key not in CATALOG:
            raise KeyError(f"no message {key!r} in the catalogue")
        return cls(key=key, params=params)

    @classmethod
    def checked(cls, key: str, params: Mapping[str, Any]) -> "Message | None":
        """A message from untrusted parts (a harvest): ``None`` unless the key exists and the parameters fit it.

        Fit means: exactly the template's fields, and every language renders (a
        ``{n:,}`` given a string would raise later, in a reporter).
        """
        templates = CATALOG.get(key)
        if templates is None:
            return None
        for template in templates.values():
            if {name for _, name, _, _ in Formatter().parse(template) if name} != set(params):
                return None
            try:
                _FORMAT.format(template, **params)
            except (ValueError, TypeError, KeyError, IndexError, AttributeError):
                return None
        return cls(key=key, params=dict(params))

    @classmethod
    def literal(cls, text: Mapping[str, str]) -> "Message":
        return cls(text=dict(text))

    def render(self, lang: str = DEFAULT_LANG) -> str:
        lang = normalise_lang(lang)
        if self.key is None:
            return self.text.get(lang) or self.text.get(DEFAULT_LANG) or next(iter(self.text.values()), "")
        template = CATALOG[self.key].get(lang) or CATALOG[self.key][DEFAULT_LANG]
        # a parameter may itself be a message ("between 0.1 and 0.5"), rendered in the same language
        return _FORMAT.format(template, **{k: v.render(lang) if isinstance(v, Message) else v
                                           for k, v in self.params.items()})


def join(messages: list[Message], lang: str) -> str:
    return "; ".join(m.render(lang) for m in messages)
