"""Give each piece of the student's text to the question it answers, as a reader would.

The signals, strongest first: a copy of the question's prompt (the answer follows it, on the same
line or below), the question's number (``2)``, ``Q2``, ``第二題``), and position (one unnumbered
line per question after a block of prompts). Layouts seen in real submissions:

* under (or on the same line as) each question prompt, in markdown or in a code comment;
* after the whole list of prompts, as a numbered list, one per line or several on one line;
* after the whole list of prompts, one unnumbered line (or cell) per question, in order;
* as comments in the pasted example, each repeating its question, in any order, above the code
  they point at.

Where the prompts are found, nothing before the first one is an answer (notes on Part 1
numbered "1." are not answers to question 1). A numbered line before another prompt belongs to
the answer above it ("1. x_train /= 255, 2. x_test /= 255" under question 1), unless its number is
one of the prompts just above; after the last prompt, numbering switches questions. Prompts are
a block (a list answered in order after it) when they are a list: on adjacent lines of one cell.
Prompts apart (a blank line, a new cell, or an empty "Answer:" slot between them) each own what
is written under them, so a question left blank does not move the answers below; except after
the very last prompt, where as many unnumbered lines as there are prompts with nothing answered
between them answer them in order.

An answer read from a comment goes on only through the comments right below it (a comment block),
and keeps the code under it as context; a comment further down belongs to the code it sits in.
Text that nothing claimed, after the first prompt or marked as an answer, is reported as such:
when a question has no answer, a person should look at it.
"""

from __future__ import annotations

from typing import Mapping

from grader.rubric.answers.fingerprint import Fingerprints
from grader.rubric.answers.pieces import Piece, loosen, split
from grader.rubric.answers.prompts import echoes
from grader.rubric.answers.sheet import Answer, AnswerSheet, Span
from grader.submission.prose import ProseLine

CONTEXT_LINES = 8  # code lines under a comment answer kept as its context
_COMMENT = ("comment",)
_IN_CODE = ("comment", "string")


class _Reader:
    """The reading state: which question is being answered, and the prompts still waiting for answers."""

    def __init__(self, questions: int) -> None:
        self.answers = {n: Answer(n) for n in range(1, questions + 1)}
        self.current: int | None = None
        self.open: Span | None = None  # the span the next continuation extends
        self.last: ProseLine | None = None  # the line last added
        self.pending: list[int] = []  # prompts seen back to back, still waiting for their answers
        self.block: set[int] = set()  # the questions of the latest run of back-to-back prompts
        self.claimed: set[int] = set()  # ids of the pieces given to a question

    def start(self, question: int, how: str) -> None:
        self.current = question
        self.open = Span(how)
        self.answers[question].spans.append(self.open)

    def add(self, piece: Piece, text: str | None = None) -> None:
        if self.current is not None and self.open is None:
            self.start(self.current, "prompt")
        if self.open is not None:
            self._append(self.open, piece, text)

    def place(self, question: int, piece: Piece) -> None:
        """Give ``piece`` to ``question`` by its place in a list, leaving the question being read as it was."""
        span = Span("order")
        self.answers[question].spans.append(span)
        self._append(span, piece, None)

    def _append(self, span: Span, piece: Piece, text: str | None) -> None:
        words = piece.words if text is None else text
        if not words.strip() or (text is None and piece.filler):
            return
        line = piece.as_line()
        span.lines.append(ProseLine(line.cell, line.line, words.strip(), line.source))
        self.last = line
        self.claimed.add(id(piece))

    def continues(self, piece: Piece) -> bool:
        """May ``piece`` go on the answer being read? A comment only if it starts it, or follows it in one block."""
        if self.current is None:
            return False
        waiting = self.open is None or not self.open.lines
        if waiting:
            return True
        last, here = self.last, piece.line
        if here.source in _COMMENT or last.source in _COMMENT:
            return here.source == last.source and here.cell == last.cell and here.line <= last.line + 1
        return True


def locate_answers(lines: list[ProseLine], fingerprints: Fingerprints, questions: int,
                   code: Mapping[tuple[int, int], str] | None = None) -> AnswerSheet:
    """Each question's answer in ``lines`` (the student's prose); ``code`` maps (cell, line) to executable code."""
    pieces = loosen([piece for line in lines for piece in split(line, fingerprints, questions)], fingerprints)
    reader = _Reader(questions)
    anchored = [i for i, p in enumerate(pieces) if p.prompt and p.prompt.question in reader.answers]
    first_anchor, last_anchor = (anchored[0], anchored[-1]) if anchored else (-1, -1)

    final_list = _final_list(pieces, last_anchor, reader)
    for i, piece in enumerate(pieces):
        if i < first_anchor:  # notes on Part 1, numbered or not, come before any question
            continue
        if piece.prompt and piece.prompt.question in reader.answers:
            _prompt(reader, piece)
            if i == last_anchor and final_list:
                reader.pending = list(final_list)
            continue
        label = piece.label.number if piece.label and 1 <= piece.label.number <= questions else None
        # A bare "1." is template-like once normalised, but it is the student's numbering.
        if label is not None and (piece.filler or not piece.template):
            if reader.current is not None and i < last_anchor and label not in reader.block:
                reader.add(piece, piece.line.text if not piece.chained else piece.raw)  # a list inside the answer
                continue
            reader.start(label, "label")
            reader.pending = []
            reader.add(piece)
            continue
        if piece.template or piece.filler:
            continue
        if piece.label is not None:  # numbered for a question there is not ("Q7: ..."): nobody's answer
            reader.current = None
            continue
        if len(reader.pending) > 1:
            # Unnumbered answers after a block of prompts: one line per question, in order; fewer lines than
            # questions follow their words instead where they clearly echo one question.
            # Comments of code pasted there are not answers: numbered ones were handled above.
            if piece.line.source not in _IN_CODE:
                reader.place(_in_block(reader.pending, piece, pieces[i:], fingerprints), piece)
            continue
        reader.pending = []
        if reader.continues(piece):
            reader.add(piece)
    _attach_code(reader.answers, code or {})
    unclaimed = tuple(p.as_line() for i, p in enumerate(pieces) if _unclaimed(p, i, first_anchor, reader))
    return AnswerSheet(reader.answers, unclaimed)


def _is_prompt(piece: Piece, reader: _Reader) -> bool:
    return piece.prompt is not None and piece.prompt.question in reader.answers


def _final_list(pieces: list[Piece], last_anchor: int, reader: _Reader) -> list[int]:
    """The questions whose prompts, with nothing answered between them, end the prompts, when at least as many
    unnumbered lines follow the last one as there are such questions: a list answering them in order. Not when
    the first of them is written into the last prompt's slot (marked, with no empty slot before it): that one
    is the last question's answer ("Answer: Adadelta" under the last prompt, and a line added below it)."""
    if last_anchor < 0 or not pieces[last_anchor].filler:
        return []
    run = [pieces[last_anchor].prompt.question]
    for piece in reversed(pieces[:last_anchor]):
        if _is_prompt(piece, reader) and piece.filler and piece.prompt.question == run[0] - 1:
            run.insert(0, piece.prompt.question)
        elif not (piece.template or piece.filler) or _is_prompt(piece, reader):
            break
    after = _until_numbered(pieces[last_anchor + 1:])
    items = [piece for piece in after if not (piece.template or piece.filler) and piece.line.source not in _IN_CODE]
    empty_slot = any(piece.template and piece.line.text.strip() for piece in after[:after.index(items[0])]) \
        if items else False
    if items and items[0].marker and not empty_slot:
        return []
    return run if len(run) > 1 and len(items) >= len(run) else []


def _in_block(pending: list[int], piece: Piece, ahead: list[Piece], prints: Fingerprints) -> int:
    """The question of the block ``pending`` that an unnumbered ``piece`` answers (and is taken from the block):
    the next in order when the lines ahead answer every question left; when they are fewer (one answer under
    two questions), the question whose words it echoes, if one stands out, else the next in order."""
    items = [p for p in _until_numbered(ahead) if not (p.template or p.filler or p.prompt)
             and p.line.source not in _IN_CODE]
    chosen = pending[0]
    if len(items) < len(pending):
        chosen = echoes(piece.words, prints, pending) or chosen
    pending.remove(chosen)
    return chosen


def _until_numbered(pieces: list[Piece]) -> list[Piece]:
    numbered = next((i for i, piece in enumerate(pieces) if piece.label is not None), len(pieces))
    return pieces[:numbered]


def _prompt(reader: _Reader, piece: Piece) -> None:
    question = piece.prompt.question
    last = reader.answers[reader.pending[-1]].prompts[-1] if reader.pending else None
    apart = last is not None and (last.cell, last.line + 1) != (piece.line.cell, piece.line.line)
    if reader.pending and (question != reader.pending[-1] + 1 or apart):
        reader.pending = []
    if not reader.pending:
        reader.block = set()
    reader.pending.append(question)
    reader.block.add(question)
    reader.current, reader.open = question, None
    reader.claimed.add(id(piece))
    reader.answers[question].prompts.append(piece.line)
    if not piece.filler:
        reader.start(question, "prompt")
        reader.add(piece)
        reader.pending = []


def _unclaimed(piece: Piece, index: int, first_anchor: int, reader: _Reader) -> bool:
    """Student text no question took: after the first prompt, or marked as an answer; in code, only if marked."""
    if id(piece) in reader.claimed or piece.template or piece.filler:
        return False
    if piece.line.source in _IN_CODE:
        return piece.cue
    return index >= first_anchor or piece.cue


def _attach_code(answers: dict[int, Answer], code: Mapping[tuple[int, int], str]) -> None:
    """A comment answer's context: the code on its own lines and right below it, to a blank line or comment.
    A question copied into a comment with nothing written keeps the code below it too, as what it points at."""
    for answer in answers.values():
        for span in answer.spans:
            comments = [line for line in span.lines if line.source in _COMMENT]
            if comments and span.text:
                span.code = _code_at(comments, code)
        copies = [line for line in answer.prompts if line.source in _COMMENT]
        if not answer.written and copies:
            answer.pointed = _code_at(copies[-1:], code)


def _code_at(comments: list[ProseLine], code: Mapping[tuple[int, int], str]) -> list[ProseLine]:
    cell = comments[-1].cell
    rows = [line.line for line in comments if line.cell == cell]
    last = rows[-1]
    below = last + 1
    while (cell, below) in code and below - last <= CONTEXT_LINES:
        rows.append(below)
        below += 1
    return [ProseLine(cell, row, code[(cell, row)], "code") for row in rows if (cell, row) in code]
