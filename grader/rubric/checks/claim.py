"""``kind = "claim"``: a written claim about the student's own models, checked against their own run.

"Which model has more parameters, the DNN or the CNN?" has no fixed answer:
a student who doubled the CNN's filters has a CNN with more. The check reads
which subject the answer says is the larger (or the smaller), and compares it
with what the run measured for the models of each subject (the models that
pass the named model check). When the student's models disagree among
themselves (one CNN bigger than the DNN, another smaller), either claim is
accepted and a person is asked to look.

How a claim is read, in English or Chinese: in each clause, a subject and a
comparative ("DNN 的參數較多", "the CNN has fewer", "DNN > CNN", "CNN 比 DNN
少", "parameters are reduced by the CNN's pooling"); a subject after "than",
"比", "於" or ">" is the one compared with. Failing a comparative, the counts
the answer gives for each subject ("DNN: 1,841,162, CNN: 1,250,858"), else a
subject named alone as the answer ("DNN.", "the CNN, because ...").

Spec keys::

    question = 2
    measure = "total_params"            # or "trainable_params"
    relation = "larger"                 # the answer names the subject whose measure is larger (or "smaller")
    subjects = [
      { name = "DNN", model = "dnn", says = '(?i)\\bdnn\\b|\\bmlp\\b' },
      { name = "CNN", model = "cnn", says = '(?i)\\bcnn\\b' },
    ]
    otherwise = "DNN"                   # the truth when the run measured no model of some subject (the
                                        # template's); said in the feedback and flagged for a person
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import product
from typing import Any, ClassVar, Mapping

from grader.errors import SpecError
from grader.i18n import Message, number
from grader.rubric.answers.matchers import numbers_in, plain
from grader.rubric.checks.base import Check, Evidence, Verdict, parse_question
from grader.rubric.checks.answer import why_missing
from grader.rubric.checks.written import excerpt, joined, own_words, quote

MEASURES = ("total_params", "trainable_params")
RELATIONS = ("larger", "smaller")
_CLAUSE = re.compile(r"[。；;！!？?\n，、/]|,(?!\d{3}(?!\d))|(?<=[a-z])\.(?=\s)|\b(?:but|because|while|whereas)\b"
                     r"|但|因為|因此|所以|而")
# what may stand beside a subject's name in an answer that only names it ("the DNN.", "DNN 模型", "Ans: CNN")
_BARE = re.compile(r"(?i)\b(?:the|model|network|ans(?:wer)?)\b|模型|網路|网络|答案?|[\W_\d]")
# A comparison stated as a property ("較多", "fewer"), which a clause about no model may say of the previous
# one's; and one stated as an action ("減少", "reduces"), which counts only with its actor in the same clause.
_MORE = re.compile(r"(?:比較|較|更|最|很|非常|相對)\s*(?:多|大)|(?:參數|参数|權重|权重)?(?:量|數|数)\s*(?:很|最|還|更)?多"
                   r"|多於|多过|多過|大於|大于|超過|膨脹|龐大|[>＞]"
                   r"|\bmore\b|\blarger\b|\bgreater\b|\bbigger\b|\bhigher\b|\bmost\b|\bexceeds?\b", re.IGNORECASE)
_LESS = re.compile(r"(?:比較|較|更|最|很|相對)\s*(?:少|小)|(?:參數|参数|權重|权重)?(?:量|數|数)\s*(?:很|最|還|更)?少"
                   r"|少於|少于|小於|小于|[<＜]|\bfewer\b|\bless\b|\bsmaller\b|\blower\b", re.IGNORECASE)
_GROWS = re.compile(r"暴增|爆炸|增加|\bincreas\w*|\bgrows?\b", re.IGNORECASE)
_SHRINKS = re.compile(r"減少|减少|降低|縮小|缩小|下降|削減|精簡|節省|省下|\breduc\w*|\bshrink\w*|\bsaves?\b", re.IGNORECASE)
# "沒有池化層降低參數": a comparison said not to happen
_NEGATION = re.compile(r"沒有|没有|並不|并不|不會|不会|不需|避免|防止|\bnot\b|n't\b|\bno\b|\bavoids?\b|\bprevents?\b",
                       re.IGNORECASE)
# "(CNN: 捲積 + 池化)": an aside names a model in passing, not the clause's subject
_ASIDE = re.compile(r"[(（][^()（）]*[)）]")
# "比 CNN 多", "than the CNN", "大於 CNN", "> CNN": the subject right after is the one compared with
_OBJECT = re.compile(r"(?:(?<![相對对])比|than(?:\s+the)?|於|于|[>＜<＞]|vs\.?|versus)\s*$", re.IGNORECASE)
_QUOTE = re.compile(r"^[ \t]*>+", re.MULTILINE)  # a markdown quote's marker, not a "greater than"
# "比 CNN 多": the comparative after the object
_AFTER_OBJECT = re.compile(r"^\W{0,3}(?:的?\s*參數(?:量|數量)?\s*)?(?:還|还|更|要)?\s*(多|大|少|小)")


@dataclass(frozen=True)
class Subject:
    name: str
    model: str
    says: re.Pattern[str]

    def to_spec(self) -> dict[str, Any]:
        return {"name": self.name, "model": self.model, "says": self.says.pattern}


def read_claim(text: str, subjects: tuple[Subject, ...], relation: str = "larger") -> tuple[str | None, bool]:
    """(the subject the text names for ``relation``, whether its clauses disagreed): by comparatives ("DNN has
    more"), else by the counts it gives for each, else by a name given alone as the answer ("DNN.")."""
    claims: list[str] = []
    counts: dict[str, int] = {}
    alone: str | None = None
    topic: Subject | None = None
    text = _QUOTE.sub("", plain(text))
    for clause, aside_free in _clauses(text):
        if not clause or not clause.strip():
            continue
        claim, topic = _clause_claim(aside_free, subjects, topic)
        if claim is not None:
            claims.append(claim if relation == "larger" else _other(_named(claim, subjects), subjects) or claim)
        named = [s for s in subjects if s.says.search(clause)]
        if alone is None and len(named) == 1 and not _BARE.sub("", named[0].says.sub("", clause)):
            alone = named[0].name
        for subject in subjects:
            match = subject.says.search(clause)
            values = numbers_in(clause[match.end():]) if match else []
            big = [v for v in values if v >= 100]
            if big and subject.name not in counts:
                counts[subject.name] = int(big[0])
    if claims:
        return claims[0], len(set(claims)) > 1
    if len(counts) >= 2:
        pick = max if relation == "larger" else min
        return pick(counts, key=lambda name: counts[name]), False
    return alone, False


def _clauses(text: str) -> list[tuple[str, str]]:
    """Each clause, and the same clause with its asides blanked (a subject named in passing is no subject)."""
    aside = [False] * len(text)
    for match in _ASIDE.finditer(text):
        aside[match.start():match.end()] = [True] * (match.end() - match.start())
    found, start = [], 0
    for cut in [*_CLAUSE.finditer(text), None]:
        end = len(text) if cut is None else cut.start()
        clause = text[start:end]
        found.append((clause, "".join(" " if aside[start + i] else ch for i, ch in enumerate(clause))))
        start = len(text) if cut is None else cut.end()
    return found


def _named(name: str, subjects: tuple[Subject, ...]) -> Subject:
    return next(s for s in subjects if s.name == name)


def _clause_claim(clause: str, subjects: tuple[Subject, ...], topic: Subject | None) -> tuple[str | None, Subject | None]:
    """(the subject this clause says is the larger, the topic for the next clause). A clause that names no
    subject speaks of the last one named before it ("DNN 用全連接層，參數量比較多"); one that names several
    compares its first ("DNN 比較多 CNN 只擷取特徵")."""
    mentions = sorted((m.start(), m.end(), s) for s in subjects for m in s.says.finditer(clause))
    actors = [s for start, _, s in mentions if not _OBJECT.search(clause[:start])]
    objects = [(end, s) for start, end, s in mentions if _OBJECT.search(clause[:start])]
    subject = actors[0] if actors else topic if not mentions else None
    following = actors[-1] if actors else subject
    found = [(m.start(), way) for pattern, way in ((_MORE, "more"), (_LESS, "less")) for m in [pattern.search(clause)] if m]
    if actors or objects:  # an action needs its actor here
        found += [(m.start(), way) for pattern, way in ((_GROWS, "more"), (_SHRINKS, "less"))
                  for m in [pattern.search(clause)] if m]
    polarity = None
    if found:
        at, polarity = min(found)
        if _NEGATION.search(clause[:at]):
            polarity = "less" if polarity == "more" else "more"
    for end, _ in objects:  # "比 CNN 多": the comparative may follow the object
        after = _AFTER_OBJECT.match(clause[end:])
        if after:
            polarity = "more" if after.group(1) in "多大" else "less"
    if polarity is None:
        return None, following
    if subject is not None:
        return (subject.name if polarity == "more" else _other(subject, subjects)), following
    if objects:
        obj = objects[0][1]
        return (_other(obj, subjects) if polarity == "more" else obj.name), following
    return None, following


def _other(subject: Subject, subjects: tuple[Subject, ...]) -> str | None:
    others = [s.name for s in subjects if s is not subject]
    return others[0] if len(others) == 1 else None


@dataclass(frozen=True)
class ClaimCheck(Check):
    kind: ClassVar[str] = "claim"
    own_keys: ClassVar[frozenset[str]] = frozenset({"question", "measure", "relation", "subjects", "otherwise"})

    question: int = 0
    measure: str = "total_params"
    relation: str = "larger"
    subjects: tuple[Subject, ...] = ()
    otherwise: str | None = None

    def evaluate(self, evidence: Evidence) -> Verdict:
        answer = evidence.answers.get(self.question)
        lines = own_words(answer, evidence)
        text = joined(lines)
        if not plain(text).strip():
            return Verdict(0.0, Message.of("answer.missing", question=self.question),
                           evidence_missing=why_missing(self.question, answer, evidence.answers))
        named, conflicting = read_claim(text, self.subjects, self.relation)
        measured = {s.name: sorted({getattr(m, self.measure) for m in evidence.models_of(s.model)}) for s in self.subjects}
        shown = "; ".join(f"{name} {'/'.join(number(v) for v in values) or '—'}" for name, values in measured.items())
        truths, review = self._truths(measured)
        details = (Message.of("claim.measured", values=shown),)
        if conflicting:
            review = Message.of("claim.review_conflict", question=self.question)
        said = {"evidence": quote(lines), "details": details}
        if named is None:
            return Verdict(0.0, Message.of("claim.unclear", question=self.question, excerpt=excerpt(text)),
                           review=Message.of("claim.review_unclear", question=self.question), **said)
        if not truths:
            return Verdict(0.0, Message.of("claim.unjudged", named=named), review=review, **said)
        if named in truths:
            return Verdict(1.0, Message.of(f"claim.ok_{self.relation}", named=named), review=review, **said)
        return Verdict(0.0, Message.of(f"claim.wrong_{self.relation}", named=named, truth=" / ".join(sorted(truths))),
                       review=review, **said)

    def _truths(self, measured: Mapping[str, list[int]]) -> tuple[set[str], Message | None]:
        """The subjects the claim may name, and why a person should look (models that disagree, none built)."""
        if any(not values for values in measured.values()):
            if self.otherwise is None:
                return set(), Message.of("claim.review_unmeasured")
            return {self.otherwise}, Message.of("claim.review_template", truth=self.otherwise)
        winners = set()
        for combination in product(*measured.values()):
            pick = max if self.relation == "larger" else min
            best = pick(combination)
            if combination.count(best) == 1:
                winners.add(list(measured)[combination.index(best)])
        if len(winners) > 1:
            return winners, Message.of("claim.review_mixed")
        return winners, None

    def references(self) -> tuple[str, ...]:
        return tuple(s.model for s in self.subjects)

    @classmethod
    def parse_own(cls, table: Mapping[str, Any], where: str) -> dict[str, Any]:
        question = parse_question(table, where)
        measure = table.get("measure", "total_params")
        if measure not in MEASURES:
            raise SpecError(f"measure must be one of {MEASURES}, found {measure!r}", where=f"{where}.measure")
        relation = table.get("relation", "larger")
        if relation not in RELATIONS:
            raise SpecError(f"relation must be one of {RELATIONS}, found {relation!r}", where=f"{where}.relation")
        raw = table.get("subjects")
        if not isinstance(raw, list) or len(raw) < 2:
            raise SpecError("a claim compares at least two subjects", where=f"{where}.subjects",
                            hint='subjects = [{name = "DNN", model = "dnn", says = "(?i)dnn"}, {...}]')
        subjects = []
        for i, item in enumerate(raw):
            at = f"{where}.subjects[{i}]"
            if not isinstance(item, dict) or set(item) != {"name", "model", "says"} or \
                    not all(isinstance(v, str) for v in item.values()):
                raise SpecError("each subject has a name, a model (a model check's id) and says (a regex)", where=at)
            try:
                says = re.compile(item["says"])
            except re.error as exc:
                raise SpecError(f"invalid regular expression: {exc}", where=f"{at}.says") from None
            subjects.append(Subject(item["name"], item["model"], says))
        otherwise = table.get("otherwise")
        if otherwise is not None and otherwise not in {s.name for s in subjects}:
            raise SpecError(f"otherwise names no subject: {otherwise!r}", where=f"{where}.otherwise")
        return {"question": question, "measure": measure, "relation": relation, "subjects": tuple(subjects),
                "otherwise": otherwise}

    def own_spec(self) -> dict[str, Any]:
        table: dict[str, Any] = {"question": self.question, "measure": self.measure, "relation": self.relation,
                                 "subjects": [s.to_spec() for s in self.subjects]}
        if self.otherwise is not None:
            table["otherwise"] = self.otherwise
        return table
