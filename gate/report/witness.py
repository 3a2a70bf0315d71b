"""The words of a witness, shared by every renderer: one sentence, and the verified assertion apart."""

from __future__ import annotations

from gate.model import Mutant, Witness


def sentence(mutant: Mutant, witness: Witness) -> str:
    """What the witness saw, in one sentence without markup (backticks around code)."""
    function = mutant.function.rsplit(".", 1)[-1] or "the function"
    if witness.kind == "differs":
        return (
            f"in `{witness.test}`, `{witness.call}` {witness.original}; under the mutant it "
            f"{witness.mutant}, and the test does not check it"
        )
    if witness.kind == "no-difference":
        seen = (
            f"no difference at `{function}`'s boundary in {_count(witness.calls, 'call')} "
            f"across {_count(witness.tests, 'test')}"
        )
        effect = f" ({witness.note})" if witness.note else ""
        return (
            f"{seen}: an equivalent mutant, or an effect on state the tests never read{effect}; "
            f"if equivalent, accept it: {accept_command(mutant, seen)}"
        )
    return f"no witness: {witness.note}"


def accept_command(mutant: Mutant, evidence: str) -> str:
    reason = evidence.replace("`", "").replace('"', "'")
    return f'gate accept {mutant.id} --reason "{reason}"'


def suggestion_title(witness: Witness) -> str:
    """The line above a verified assertion; empty when there is none to show."""
    if not (witness.suggestion and witness.verified):
        return ""
    return "verified assertion (passes on the original, fails on the mutant):"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")
