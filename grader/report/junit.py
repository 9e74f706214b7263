"""JUnit XML for CI dashboards (``OUT/junit.xml``): a testsuite per student, a testcase per check.

Shaped after the common Ant/Jenkins JUnit schema: ``<testsuites>`` holds
``<testsuite>`` elements carrying ``name``, ``package``, ``id``, ``hostname``,
``timestamp`` (ISO 8601, no zone), ``tests``, ``failures``, ``errors``,
``skipped`` and ``time``, each with ``<properties>``, its ``<testcase>``
elements (``name``, ``classname``, ``time``) and ``<system-out>``/``<system-err>``.
A check that failed on evidence is a ``<failure>``; a check that failed because
the run itself broke (timeout, crash, unusable file, grader failure) is an
``<error>``. This file is for TAs: hidden checks are shown in full.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Sequence

from grader.report.common import Doc, check_lines, clean, read_and_review, shown, student_id


def _seconds(value: float | None) -> str:
    return f"{float(value or 0):.3f}"


def _timestamp(doc: Doc) -> str:
    stamp = str((doc.get("batch") or {}).get("graded_at") or "1970-01-01T00:00:00")
    return stamp[:19]


def testsuite(doc: Doc, index: int) -> ET.Element:
    broken = doc["status"] != "graded"
    failures = errors = 0
    suite = ET.Element("testsuite")
    props = ET.SubElement(suite, "properties")
    for name in ("status", "score", "max_score", "exercise", "grader_version"):
        ET.SubElement(props, "property", name=name, value=clean(doc.get(name)))
    ident = student_id(doc)
    for check in doc["checks"]:
        case = ET.SubElement(suite, "testcase", name=clean(check["id"]), classname=f"{clean(doc['exercise'])}.{ident}",
                             time="0.000")
        if check["passed"]:
            continue
        message, details, hint = check_lines(check, doc, reveal_hidden=True)
        if broken:
            errors += 1
            element = ET.SubElement(case, "error", message=message, type=clean(doc["status"]))
            element.text = clean(doc.get("message") or message)
        else:
            failures += 1
            element = ET.SubElement(case, "failure", message=message, type="check")
            extras = [text for _, text in read_and_review(check, doc, reveal_hidden=True)]
            element.text = "\n".join([f"{shown(check['points'])}/{shown(check['max_points'])} {clean(check['title'])}",
                                      *details, *extras, *([f"hint: {hint}"] if hint else [])])
    ET.SubElement(suite, "system-out").text = "\n".join(clean(n) for n in doc.get("notes") or ())
    ET.SubElement(suite, "system-err").text = clean(doc.get("message") or "")
    suite.attrib.update({
        "name": ident, "package": clean(doc["exercise"]), "id": str(index),
        "hostname": clean((doc.get("batch") or {}).get("host") or "localhost"), "timestamp": _timestamp(doc),
        "tests": str(len(doc["checks"])), "failures": str(failures), "errors": str(errors), "skipped": "0",
        "time": _seconds(doc.get("seconds")),
    })
    return suite


def render(docs: Sequence[Doc], name: str = "keras-grader") -> str:
    root = ET.Element("testsuites", name=clean(name))
    suites = [testsuite(doc, i) for i, doc in enumerate(docs)]
    root.extend(suites)
    for key in ("tests", "failures", "errors"):
        root.set(key, str(sum(int(s.get(key, 0)) for s in suites)))
    root.set("time", _seconds(sum(float(s.get("time", 0)) for s in suites)))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
