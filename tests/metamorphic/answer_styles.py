"""Rewrites of an answered notebook: the same answers, written where and how students write them.

A ``Homework`` is what the rewrites need to know of an answered notebook: the cells before the
questions, each question's prompt line (as the exercise's template writes it), the template's
empty answer slot ("答 / Answer:"), the student's answer to each question (its lines), and, for
the styles that answer in comments of pasted code, some code each question is about.

``KEEP`` rewrites move and reformat the answers: grading must give every check the verdict the
notebook as handed in gets. ``NO_CREDIT`` rewrites put text where it must earn nothing: prompts
copied with no answer, each answer under the next question, the template's own text in the
answer slots. ``compose`` builds one rewrite from independent choices (layout, label form,
marker, order, digits), for property tests.

Everything here is our own text and code; nothing is read from a corpus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Mapping, Sequence

import nbformat
from nbformat import NotebookNode

Cells = list[NotebookNode]

ZH = "零一二三四五六七八九十"
FULL_WIDTH = str.maketrans("0123456789.,:;()?", "０１２３４５６７８９．，：；（）？")


def md(text: str) -> NotebookNode:
    return nbformat.v4.new_markdown_cell(text)


def code(text: str) -> NotebookNode:
    return nbformat.v4.new_code_cell(text)


def raw(text: str) -> NotebookNode:
    return nbformat.v4.new_raw_cell(text)


@dataclass(frozen=True)
class Homework:
    lead: tuple[NotebookNode, ...]
    prompts: Mapping[int, str]
    slot: str
    answers: Mapping[int, tuple[str, ...]]
    code: Mapping[int, str] = field(default_factory=dict)
    template_lines: tuple[str, ...] = ()  # the template's own text outside the prompts (for NO_CREDIT)

    @property
    def questions(self) -> list[int]:
        return sorted(self.prompts)

    @classmethod
    def from_notebook(cls, path: Path, template: Path, prompts: Mapping[int, str],
                      code: Mapping[int, str] | None = None) -> "Homework":
        """Read ``path``: its questions are the lines matching ``prompts`` (question -> regex, the exercise's),
        an answer is what follows its prompt up to the next one, without the template's slot text."""
        patterns = {q: re.compile(p) for q, p in prompts.items()}
        slot, template_lines = _template_text(template, patterns)
        notebook = nbformat.read(path, as_version=4)
        first = next(i for i, cell in enumerate(notebook.cells)
                     if any(p.search(line) for line in cell.source.splitlines() for p in patterns.values()))
        found: dict[int, str] = {}
        answers: dict[int, list[str]] = {}
        current = None
        for cell in notebook.cells[first:]:
            for line in cell.source.splitlines():
                hit = next((q for q, p in patterns.items() if p.search(line)), None)
                if hit is not None:
                    current, found[hit] = hit, line
                    answers[hit] = []
                    continue
                text = line.strip()
                if slot and text.startswith(slot):
                    text = text[len(slot):].strip()
                if current is not None and text:
                    answers[current].append(text)
        return cls(tuple(notebook.cells[:first]), found, slot, {q: tuple(a) for q, a in answers.items()},
                   dict(code or {}), template_lines)

    def with_answers(self, answers: Mapping[int, str | Sequence[str]]) -> "Homework":
        lines = {q: (a,) if isinstance(a, str) else tuple(a) for q, a in answers.items()}
        return replace(self, answers={q: tuple(x for x in lines.get(q, ()) if x) for q in self.questions})

    def answer(self, q: int) -> tuple[str, ...]:
        return tuple(self.answers.get(q, ()))

    def notebook(self, cells: Cells) -> NotebookNode:
        return nbformat.v4.new_notebook(cells=[*self.lead, *cells])


def _template_text(template: Path, patterns: Mapping[int, re.Pattern]) -> tuple[str, tuple[str, ...]]:
    """The template's empty answer slot (its most repeated line in the question cell), and its other lines."""
    notebook = nbformat.read(template, as_version=4)
    lines = [line.strip() for cell in notebook.cells for line in cell.source.splitlines() if line.strip()]
    question_lines = [line for cell in notebook.cells if any(p.search(cell.source) for p in patterns.values())
                      for line in cell.source.splitlines() if line.strip()]
    others = [line.strip() for line in question_lines if not any(p.search(line) for p in patterns.values())]
    slot = max(set(others), key=others.count) if others else ""
    prose = tuple(line for cell in notebook.cells if cell.cell_type == "markdown"
                  for line in (ln.strip() for ln in cell.source.splitlines())
                  if line and line != slot and not any(p.search(line) for p in patterns.values()))
    return slot, prose or tuple(lines)


# ---------------------------------------------------------------- how a question's number is written

# {n} the number, {zh} in Chinese, {wide} in full width, {circled} as ①
LABELS: dict[str, str] = {
    "dot": "{n}. ", "paren": "({n}) ", "q_colon": "Q{n}: ", "ordinal": "第{zh}題：", "homework_full_width": "作業{wide}：",
    "dot_ans": "{n}.ans: ", "q_ans": "Q{n} Ans: ", "circled": "{circled} ", "full_width_dot": "{wide}．",
    "chinese_comma": "{zh}、", "hash": "#{n}、", "lettered": "A{n}: ", "question_word": "Question {n} - ",
}


def label(form: str, n: int) -> str:
    return LABELS[form].format(n=n, zh=ZH[n], wide=str(n).translate(FULL_WIDTH), circled=chr(0x245F + n))


MARKERS = ("答：", "Ans: ", "A: ", "答:", "=> ", "**Answer:** ")


def one_line(text: Sequence[str]) -> str:
    return " ".join(text)


def full_width_digits(text: str) -> str:
    return text.translate(str.maketrans("0123456789", "０１２３４５６７８９"))


def prompt_words(prompt: str) -> str:
    """A prompt as a student copies it: without the template's markup and number."""
    return re.sub(r"^[\s#>*]*(?:[A-Za-z]{0,2}\d+[.:)]|\(\d+\))?[\s*]*", "", prompt).strip()


PROMPT_COPIES: dict[str, Callable[[int, str], str]] = {
    "verbatim": lambda n, p: prompt_words(p),
    "first_language": lambda n, p: prompt_words(p).split(" / ")[0],
    "second_language": lambda n, p: prompt_words(p).split(" / ")[-1],
    "renumbered": lambda n, p: f"第{ZH[n]}題：{prompt_words(p).split(' / ')[0]}",
    "full_width_punctuation": lambda n, p: prompt_words(p).replace("?", "？").replace(":", "："),
}


# ---------------------------------------------------------------- layouts that keep every verdict

def questions_cell(hw: Homework, filled: Mapping[int, Sequence[str]] | None = None) -> NotebookNode:
    """The template's question cell: each prompt, then its slot, filled with ``filled[q]`` or left empty."""
    parts = []
    for q in hw.questions:
        lines = list((filled or {}).get(q, ()))
        parts += [hw.prompts[q], "", f"{hw.slot} {lines[0]}".strip() if lines else hw.slot, *lines[1:], ""]
    return md("\n".join(parts).strip())


def under_each_prompt(hw: Homework) -> Cells:
    return [questions_cell(hw, hw.answers)]


def on_the_prompt_line(hw: Homework) -> Cells:
    return [md("\n\n".join(f"{hw.prompts[q]} 答：{one_line(hw.answer(q))}" for q in hw.questions))]


def prompt_and_answer_cells(hw: Homework) -> Cells:
    """Each prompt in its own cell, each line of its answer in a cell of its own below it."""
    cells = []
    for q in hw.questions:
        cells.append(md(hw.prompts[q]))
        cells += [md(line) for line in hw.answer(q)]
    return cells


def numbered(form: str, order: Callable[[list[int]], list[int]] = list, where: str = "markdown") -> Callable:
    def style(hw: Homework) -> Cells:
        lines = []
        for q in order(hw.questions):
            answer = hw.answer(q)
            if answer:
                lines += [label(form, q) + answer[0], *answer[1:]]
        return [questions_cell(hw), _cell("\n".join(lines), where)]
    return style


def _cell(text: str, where: str) -> NotebookNode:
    if where == "markdown":
        return md(text)
    if where == "raw":
        return raw(text)
    if where == "comments":
        return code("\n".join(f"# {line}" for line in text.splitlines()))
    if where == "docstring":
        return code(f'"""\n{text}\n"""\nprint("done")')
    return code(text)  # prose typed into a code cell


def numbered_restating_some(hw: Homework) -> Cells:
    """A numbered list in which every other answer first restates its question (no question mark), then answers:
    "2. <the question's words>: Adadelta". Such a line is an answer, not a copy of the prompt to answer under."""
    lines = []
    for q in hw.questions:
        answer = hw.answer(q)
        if answer:
            words = re.sub(r"[?？]\s*$", "", PROMPT_COPIES["first_language"](q, hw.prompts[q]))
            lines += [f"{q}. " + (f"{words}: " if q % 2 == 0 else "") + answer[0], *answer[1:]]
    return [questions_cell(hw), md("\n".join(lines))]


def all_on_one_line(punct: str, marker: str, separator: str, digits: Callable[[str], str] = str) -> Callable:
    """``1) 答: ... 2) 答: ... 3) ...``: every answer on one line, each after its number and a marker."""
    def style(hw: Homework) -> Cells:
        parts = [f"{digits(str(q))}{punct} {marker}{one_line(hw.answer(q))}" for q in hw.questions if hw.answer(q)]
        return [questions_cell(hw), md(separator.join(parts))]
    return style


def unnumbered_lines(hw: Homework) -> Cells:
    return [questions_cell(hw), md("\n".join(one_line(hw.answer(q)) for q in hw.questions))]


def unnumbered_cells(hw: Homework) -> Cells:
    return [questions_cell(hw), *(md(one_line(hw.answer(q))) for q in hw.questions)]


def comments_in_code(order: Callable[[list[int]], list[int]], copy: str = "verbatim") -> Callable:
    """Answers as comments in pasted code, each repeating its question, then ``答：``, above the code it is
    about; the template's question cell is left unanswered above."""
    def style(hw: Homework) -> Cells:
        blocks = []
        for q in order(hw.questions):
            answer = hw.answer(q)
            head = f"# {PROMPT_COPIES[copy](q, hw.prompts[q])} 答：{answer[0] if answer else ''}"
            blocks.append("\n".join([head, *(f"# {line}" for line in answer[1:]), hw.code.get(q, "pass")]))
        return [questions_cell(hw), code("\n\n".join(blocks))]
    return style


def trailing_comments(hw: Homework) -> Cells:
    """``code  # Q2 答：...``: each answer beside the first line of the code it is about."""
    lines = []
    for q in hw.questions:
        first, *rest = (hw.code.get(q) or "pass").splitlines()
        lines += [f"{first}  # Q{q} 答：{one_line(hw.answer(q))}", *rest]
    return [questions_cell(hw), code("\n".join(lines))]


def copied_prompts(copy: str) -> Callable:
    """The template's cell left as it is; each question copied (as ``copy`` says) into a cell with its answer."""
    def style(hw: Homework) -> Cells:
        return [questions_cell(hw), *(md("\n".join([PROMPT_COPIES[copy](q, hw.prompts[q]), *hw.answer(q)]))
                                      for q in hw.questions)]
    return style


def decorated(wrap: Callable[[str], str]) -> Callable:
    """Answers under the prompts, each line dressed as students dress it (quote, arrow, bold marker, fence)."""
    def style(hw: Homework) -> Cells:
        parts = []
        for q in hw.questions:
            parts += [hw.prompts[q], "", *(wrap(line) for line in hw.answer(q)), ""]
        return [md("\n".join(parts))]
    return style


def fenced(hw: Homework) -> Cells:
    parts = []
    for q in hw.questions:
        parts += [hw.prompts[q], "", "```", *hw.answer(q), "```", ""]
    return [md("\n".join(parts))]


def table(hw: Homework) -> Cells:
    rows = "".join(f"| {q} | {one_line(hw.answer(q))} |\n" for q in hw.questions)
    return [questions_cell(hw), md("| 題號 | 答案 |\n|---|:--:|\n" + rows)]


def joined_by_br(hw: Homework) -> Cells:
    return [md("<br>".join(f"{hw.prompts[q]}<br>{hw.slot} {one_line(hw.answer(q))}" for q in hw.questions))]


def full_width_answers(hw: Homework) -> Cells:
    return under_each_prompt(replace(hw, answers={q: tuple(full_width_digits(x) for x in a)
                                                  for q, a in hw.answers.items()}))


def reversed_order(questions: list[int]) -> list[int]:
    return questions[::-1]


def shuffled(questions: list[int]) -> list[int]:
    """A fixed order that is neither the questions' nor its reverse: 3, 1, 4, 2, ..."""
    return questions[2::2][:1] + questions[0::2][:1] + questions[3::2] + questions[1::2] + questions[4::2]


KEEP: dict[str, Callable[[Homework], Cells]] = {
    "under_each_prompt": under_each_prompt,
    "on_the_prompt_line": on_the_prompt_line,
    "answers_split_across_cells": prompt_and_answer_cells,
    **{f"numbered_{form}": numbered(form) for form in LABELS},
    "numbered_reversed": numbered("dot", reversed_order),
    "numbered_restating_some_questions": numbered_restating_some,
    "numbered_shuffled_q": numbered("q_colon", shuffled),
    "numbered_in_a_raw_cell": numbered("dot", where="raw"),
    "numbered_prose_in_a_code_cell": numbered("dot", where="plain"),
    "numbered_comments": numbered("hash", where="comments"),
    "numbered_in_a_docstring": numbered("q_colon", where="docstring"),
    "one_line_paren_答": all_on_one_line(")", "答: ", " "),
    "one_line_dot_Ans_semicolons": all_on_one_line(".", "Ans: ", "；"),
    "one_line_A_full_width_digits": all_on_one_line(")", "A: ", " ", full_width_digits),
    "one_line_full_width_semicolons": all_on_one_line("．", "答：", "；", full_width_digits),
    "unnumbered_lines_in_order": unnumbered_lines,
    "unnumbered_cells_in_order": unnumbered_cells,
    "comments_in_code_reversed": comments_in_code(reversed_order),
    "comments_in_code_shuffled": comments_in_code(shuffled),
    "comments_in_code_first_language": comments_in_code(shuffled, "first_language"),
    "comments_beside_code": trailing_comments,
    **{f"copied_prompt_{copy}": copied_prompts(copy) for copy in PROMPT_COPIES},
    "quoted_with_arrow": decorated(lambda line: f"> => {line}"),
    "bold_answer_marker": decorated(lambda line: f"**Answer:** {line}"),
    "bullet_A_marker": decorated(lambda line: f"- A: {line}"),
    "fenced_answers": fenced,
    "table_after_the_prompts": table,
    "joined_by_br": joined_by_br,
    "full_width_digits_in_answers": full_width_answers,
}


# ---------------------------------------------------------------- rewrites that must earn nothing

def prompts_copied_without_answers(hw: Homework) -> Cells:
    """Every question copied, in markdown and in comments above code, and nothing answered."""
    copies = md("\n\n".join(prompt_words(hw.prompts[q]) for q in hw.questions))
    comments = code("\n\n".join(f"# {prompt_words(hw.prompts[q])} 答：\n{hw.code.get(q, 'pass')}"
                                for q in hw.questions))
    return [questions_cell(hw), copies, comments]


def each_answer_under_the_next_question(hw: Homework) -> Cells:
    qs = hw.questions
    return [questions_cell(hw, {later: hw.answer(earlier) for earlier, later in zip(qs, qs[1:])})]


def template_text_as_answers(hw: Homework) -> Cells:
    """The template's own lines (instructions, examples) in the answer slots: not the student's words."""
    lines = sorted(hw.template_lines, key=lambda line: -sum(c.isdigit() for c in line))
    return [questions_cell(hw, {q: (lines[i % len(lines)],) for i, q in enumerate(hw.questions)})]


NO_CREDIT: dict[str, Callable[[Homework], Cells]] = {
    "prompts_copied_without_answers": prompts_copied_without_answers,
    "each_answer_under_the_next_question": each_answer_under_the_next_question,
    "template_text_as_answers": template_text_as_answers,
}


# ---------------------------------------------------------------- independent choices, for property tests

@dataclass(frozen=True)
class Choice:
    """One rewrite built from independent choices: where the answers go, how each is numbered and marked."""

    where: str  # markdown, raw, plain, comments, docstring
    labels: tuple[str, ...]  # a LABELS key per question (in the order written)
    markers: tuple[str, ...]  # a marker per question ("" for none)
    order: tuple[int, ...]  # the questions in the order written
    one_line: bool = False
    digits_full_width: bool = False

    def cells(self, hw: Homework) -> Cells:
        parts = []
        for q, form, marker in zip(self.order, self.labels, self.markers):
            answer = hw.answer(q)
            if not answer:
                continue
            words = full_width_digits(one_line(answer)) if self.digits_full_width else one_line(answer)
            parts.append(label(form, q) + marker + words if self.one_line
                         else "\n".join([label(form, q) + marker + answer[0], *answer[1:]]))
        text = " ".join(parts) if self.one_line else "\n".join(parts)
        return [questions_cell(hw), _cell(text, self.where)]


def compose(choice: Choice) -> Callable[[Homework], Cells]:
    return choice.cells
