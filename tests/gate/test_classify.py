"""The classifier on hand-built mutants and censuses: every cause, its evidence and its hint.

Names follow mutmut (``pkg.mod.xǁClassǁmethod__mutmut_N``), node ids follow mutmut's stats.
"""

from __future__ import annotations

from gate.causes.callbacks import Fake, Handoff
from gate.causes.census import Census
from gate.causes.classify import FunctionTally, Scope, classify, tally, unknown_tests
from gate.model import Cause, Mutant, Replacement, Status
from gate.mutmut.names import module_of, qualname_of

T = "tests/test_dl.py::"


def mutant(
    name: str,
    status: Status = Status.SURVIVED,
    tests: tuple[str, ...] = (),
    diff: str = "",
    function: str = "",
    file: str = "pkg/core.py",
) -> Mutant:
    return Mutant(
        id=name[-6:],
        name=name,
        target="t",
        file=file,
        line=1,
        function=function,
        status=status,
        diff=diff,
        tests=list(tests),
    )


def census(*replacements: Replacement, tests: tuple[str, ...] = ()) -> Census:
    names = list(dict.fromkeys([*tests, *(r.test for r in replacements)]))
    return Census(tests=names, replacements=list(replacements))


def rep(
    test: str, target: str, kind: str = "monkeypatch.setattr", site: str = "", original: str = ""
) -> Replacement:
    return Replacement(T + test, target, kind, site or "tests/test_dl.py:10", original)


EXECUTE = "pkg.core.xǁDownloaderǁ_execute_download__mutmut_1"


# -- names ---------------------------------------------------------------------------------------
def test_module_and_qualname_come_from_mutmut_names() -> None:
    assert (
        module_of("py.services.downloader.xǁDownloaderǁdownload_file__mutmut_17") == "py.services.downloader"
    )
    assert module_of("pkg.x_helper__mutmut_2") == "pkg"
    assert module_of("pkg.core.xǁOuter.Innerǁrun__mutmut_1") == "pkg.core"
    assert qualname_of(mutant("pkg.core.xǁDownloaderǁ_open__mutmut_3")) == "Downloader._open"
    assert qualname_of(mutant("pkg.core.x_helper__mutmut_3")) == "helper"
    assert qualname_of(mutant("pkg.core.xǁOuter.Innerǁrun__mutmut_1")) == "Outer.Inner.run"
    # Mutant.function (set by the results reader) wins over decoding.
    assert qualname_of(mutant("pkg.core.x_helper__mutmut_3", function="helper")) == "helper"


def test_scope_levels_are_function_classes_and_module() -> None:
    scope = Scope.of(mutant("pkg.core.xǁOuter.Innerǁrun__mutmut_1"))
    assert scope.function == "pkg.core.Outer.Inner.run"
    assert scope.levels() == [
        "pkg.core.Outer.Inner.run",
        "pkg.core.Outer.Inner",
        "pkg.core.Outer",
        "pkg.core",
    ]


# -- hidden-by-mock ------------------------------------------------------------------------------
def test_a_method_replaced_and_run_by_no_test_is_hidden_by_mock() -> None:
    mocks = [
        rep("test_download", "pkg.core.Downloader._execute_download", site="tests/test_dl.py:12"),
        rep("test_retry", "pkg.core.Downloader._execute_download", site="tests/test_dl.py:30"),
    ]
    m = mutant(EXECUTE, Status.NO_TESTS)
    classify([m], census(*mocks, rep("test_retry", "pkg.core.SETTINGS[retries]", "monkeypatch.setitem")))
    assert m.cause is Cause.HIDDEN_BY_MOCK
    assert m.mocks == mocks
    assert m.replaced_in == [T + "test_download", T + "test_retry"]
    assert m.hint == "`Downloader._execute_download` is replaced in 2 tests and run by none: test it directly"


def test_a_class_replaced_as_a_whole_where_it_is_used_hides_its_methods() -> None:
    whole = rep(
        "test_use", "pkg.consumer.Downloader", "patch", "tests/test_dl.py:40", original="pkg.core.Downloader"
    )
    m = mutant("pkg.core.xǁDownloaderǁdownload_file__mutmut_4", Status.NO_TESTS)
    classify([m], census(whole))
    assert (m.cause, m.mocks, m.replaced_in) == (Cause.HIDDEN_BY_MOCK, [whole], [T + "test_use"])
    assert m.hint == (
        "its class `Downloader` is replaced in 1 test and no test runs `Downloader.download_file`: test it directly"
    )


def test_a_module_replaced_in_sys_modules_hides_its_functions() -> None:
    fake = rep("test_optional", "pkg.extra", "sys.modules", "tests/test_dl.py:50")
    m = mutant("pkg.extra.x_value__mutmut_1", Status.NO_TESTS, file="pkg/extra.py")
    classify([m], census(fake))
    assert (m.cause, m.mocks) == (Cause.HIDDEN_BY_MOCK, [fake])
    assert m.hint == "its module `pkg.extra` is replaced in 1 test and no test runs `value`: test it directly"


def test_a_nested_class_replaced_through_its_outer_class() -> None:
    outer = rep("test_outer", "pkg.core.Outer", "patch.object")
    m = mutant("pkg.core.xǁOuter.Innerǁrun__mutmut_1", Status.NO_TESTS, function="Outer.Inner.run")
    classify([m], census(outer))
    assert (m.cause, m.mocks) == (Cause.HIDDEN_BY_MOCK, [outer])
    assert m.hint.startswith("its class `Outer` is replaced in 1 test")


def test_a_function_patched_where_it_is_looked_up_is_hidden() -> None:
    where_used = rep("test_use", "pkg.consumer.helper", "patch", original="pkg.core.helper")
    m = mutant("pkg.core.x_helper__mutmut_2", Status.NO_TESTS)
    classify([m], census(where_used))
    assert (m.cause, m.mocks) == (Cause.HIDDEN_BY_MOCK, [where_used])


def test_patches_made_by_fixtures_count_like_any_other() -> None:
    autouse = Replacement(
        "tests/auto/test_a.py::test_x",
        "pkg.core.Downloader._open",
        "patch.object",
        "tests/auto/conftest.py:10",
    )
    param = Replacement(
        "tests/test_p.py::test_p[helper]", "pkg.core.helper", "monkeypatch.setattr", "tests/test_p.py:5"
    )
    opened = mutant("pkg.core.xǁDownloaderǁ_open__mutmut_1", Status.NO_TESTS)
    helped = mutant("pkg.core.x_helper__mutmut_1", Status.NO_TESTS)
    classify([opened, helped], census(autouse, param))
    assert (opened.cause, opened.mocks, opened.replaced_in) == (
        Cause.HIDDEN_BY_MOCK,
        [autouse],
        ["tests/auto/test_a.py::test_x"],
    )
    assert (helped.cause, helped.replaced_in) == (Cause.HIDDEN_BY_MOCK, ["tests/test_p.py::test_p[helper]"])


# -- untested ------------------------------------------------------------------------------------
def test_nothing_runs_or_replaces_it_is_untested() -> None:
    near_misses = (
        rep("test_a", "pkg.core.helper_x"),  # another function with a longer name
        rep("test_b", "pkg.core.DownloaderFactory"),  # another class with a longer name
        rep("test_c", "pkg.core.SETTINGS[helper]", "monkeypatch.setitem"),
        rep("test_d", "os.environ", "patch.dict(clear=True)"),
    )
    helper = mutant("pkg.core.x_helper__mutmut_1", Status.NO_TESTS)
    method = mutant("pkg.core.xǁDownloaderǁ_open__mutmut_1", Status.NO_TESTS)
    classify([helper, method], census(*near_misses))
    for m, name in ((helper, "helper"), (method, "Downloader._open")):
        assert (m.cause, m.mocks, m.replaced_in) == (Cause.UNTESTED, [], [])
        assert m.hint == f"no test runs `{name}` and none replaces it: add a test that calls it"


def test_a_spy_runs_the_real_code_and_hides_nothing() -> None:
    spy = rep("test_spy", "pkg.core.helper", "mocker.spy")
    untested = mutant("pkg.core.x_helper__mutmut_1", Status.NO_TESTS)
    weak = mutant("pkg.core.x_helper__mutmut_2", tests=(T + "test_real",))
    classify([untested, weak], census(spy, tests=(T + "test_real",)))
    assert (untested.cause, untested.mocks, untested.replaced_in) == (Cause.UNTESTED, [], [])
    assert (weak.cause, weak.mocks, weak.replaced_in) == (Cause.WEAK_ASSERTION, [], [])


def test_a_spy_on_the_callee_of_a_weakly_tested_function_is_no_mock_that_swallows_it() -> None:
    spy = rep("test_real", "pkg.core.helper", "mocker.spy")
    caller = mutant(
        "pkg.core.x_compute__mutmut_1",
        tests=(T + "test_real",),
        diff="-    return helper(x)\n+    return helper(None)\n",
    )
    classify([caller], census(spy))
    assert (caller.cause, caller.mocks) == (Cause.WEAK_ASSERTION, [])
    assert (
        caller.hint
        == "assert the exact value `compute` returns in `test_real`: it passes when `return helper(x)` changes"
    )


# -- partly-mocked -------------------------------------------------------------------------------
def test_run_by_some_tests_and_replaced_in_others_is_partly_mocked() -> None:
    replacing = [
        rep("test_a", "pkg.core.Downloader._execute_download", site="tests/test_dl.py:12"),
        rep("test_b", "pkg.core.Downloader", "patch", "tests/test_dl.py:20"),
        rep("test_c", "pkg.core.Downloader._execute_download", "patch.object", "tests/conftest.py:8"),
    ]
    m = mutant(EXECUTE, tests=(T + "test_real",))
    classify([m], census(*replacing, tests=(T + "test_real",)))
    assert m.cause is Cause.PARTLY_MOCKED
    assert m.tests == [T + "test_real"]
    assert m.mocks == replacing
    assert m.replaced_in == [T + "test_a", T + "test_b", T + "test_c"]
    assert m.hint == (
        "replaced in 3 tests, run for real only by `test_real`, which passes with this change: "
        "assert what `_execute_download` does in `test_real`"
    )


# -- weak-assertion ------------------------------------------------------------------------------
def test_run_and_never_replaced_is_a_weak_assertion_naming_the_tests_fastest_first() -> None:
    diff = "--- a\n+++ b\n     def double(x):\n-        return 2 * x\n+        return 3 * x\n"
    m = mutant("pkg.core.x_double__mutmut_1", tests=(T + "test_fast", T + "test_slow"), diff=diff)
    classify([m], census(tests=(T + "test_fast", T + "test_slow")))
    assert (m.cause, m.tests, m.mocks, m.replaced_in) == (
        Cause.WEAK_ASSERTION,
        [T + "test_fast", T + "test_slow"],
        [],
        [],
    )
    assert (
        m.hint
        == "assert the exact value `double` returns in `test_fast`: it passes when `return 2 * x` changes"
    )


def test_weak_assertion_hint_names_the_changed_line_when_it_returns_nothing() -> None:
    diff = "@@ -1,3 +1,3 @@\n def f(self):\n-    self.count += 1\n+    self.count = 1\n"
    m = mutant("pkg.core.x_f__mutmut_1", tests=(T + "test_f",), diff=diff)
    classify([m], census(tests=(T + "test_f",)))
    assert (
        m.hint
        == "make `test_f` check the effect of `self.count += 1` exactly: it passes when that line changes"
    )


def test_a_mock_that_swallows_the_mutated_argument_is_the_evidence() -> None:
    diff = "@@ -1,3 +1,3 @@\n     async def save(self, path, data):\n-        await self._write(path, data)\n+        await self._write(None, data)\n"
    swallow = rep("test_save", "pkg.core.Store._write", "patch.object", "tests/test_dl.py:77")
    same_module = rep("test_save", "pkg.core.SETTINGS[retries]", "monkeypatch.setitem", "tests/test_dl.py:76")
    elsewhere = rep("test_save", "aiohttp.client.ClientSession", "patch", "tests/test_dl.py:75")
    m = mutant("pkg.core.xǁStoreǁsave__mutmut_2", tests=(T + "test_save",), diff=diff)
    classify([m], census(swallow, same_module, elsewhere))
    assert m.cause is Cause.WEAK_ASSERTION
    assert m.mocks == [swallow, same_module]  # the swallowing mock first; other modules' mocks left out
    assert (
        m.hint
        == "assert on the arguments passed to the mock of `_write` in `test_save` (tests/test_dl.py:77)"
    )


def test_weak_assertion_evidence_does_not_depend_on_test_speed() -> None:
    # mutmut lists the runners fastest first, and timings change between runs: the evidence must not.
    diff = "@@ -1,3 +1,3 @@\n     def accept(self):\n-        return self.verify(1)\n+        return self.verify(2)\n"
    no = rep("test_accept_no", "pkg.core.Store.verify", "patch.object", "tests/test_dl.py:28")
    yes = rep("test_accept_yes", "pkg.core.Store.verify", "patch.object", "tests/test_dl.py:23")
    evidence = []
    for order in (
        (T + "test_accept_yes", T + "test_accept_no"),
        (T + "test_accept_no", T + "test_accept_yes"),
    ):
        m = mutant("pkg.core.xǁStoreǁaccept__mutmut_1", tests=order, diff=diff)
        classify([m], census(yes, no))
        evidence.append((m.cause, m.mocks, m.hint))
    assert evidence[0] == evidence[1]
    assert evidence[0] == (
        Cause.WEAK_ASSERTION,
        [no, yes],
        "assert on the arguments passed to the mock of `verify` in `test_accept_no` (tests/test_dl.py:28)",
    )


def test_a_test_that_runs_the_function_and_also_patches_it_is_a_runner_not_a_replacer() -> None:
    spy = rep("test_spy", "pkg.core.helper", "patch", original="pkg.core.helper")
    m = mutant(
        "pkg.core.x_helper__mutmut_1", tests=(T + "test_spy",), diff="-    return x\n+    return None\n"
    )
    classify([m], census(spy))
    assert (m.cause, m.replaced_in, m.mocks) == (Cause.WEAK_ASSERTION, [], [spy])


# -- unreliable ----------------------------------------------------------------------------------
def test_a_survivor_run_by_a_test_that_clears_os_environ_is_unreliable() -> None:
    cleared = rep("test_env", "os.environ", "patch.dict(clear=True)", "tests/test_dl.py:90")
    m = mutant("pkg.core.x_helper__mutmut_1", tests=(T + "test_ok", T + "test_env"))
    classify([m], census(cleared, tests=(T + "test_ok",)))
    assert (m.cause, m.mocks) == (Cause.UNRELIABLE, [cleared])
    assert m.hint == (
        "`test_env` clears os.environ (tests/test_dl.py:90) where mutmut reads MUTANT_UNDER_TEST: "
        "keep that variable (patch.dict without clear=True) and re-check this mutant"
    )


def test_deleting_mutant_under_test_or_clearing_by_hand_is_unreliable_too() -> None:
    for target, kind in (
        ("os.environ[MUTANT_UNDER_TEST]", "monkeypatch.delenv"),
        ("os.environ", "os.environ.clear"),
    ):
        m = mutant("pkg.core.x_helper__mutmut_1", tests=(T + "test_env",))
        classify([m], census(rep("test_env", target, kind)))
        assert m.cause is Cause.UNRELIABLE


def test_clearing_os_environ_elsewhere_does_not_make_a_verdict_unreliable() -> None:
    cleared = rep("test_other", "os.environ", "patch.dict(clear=True)")
    weak = mutant(
        "pkg.core.x_helper__mutmut_1", tests=(T + "test_helper",), diff="-    return x\n+    return None\n"
    )
    untested = mutant("pkg.core.x_double__mutmut_1", Status.NO_TESTS)
    classify([weak, untested], census(cleared, tests=(T + "test_helper",)))
    assert (weak.cause, weak.mocks) == (Cause.WEAK_ASSERTION, [])
    assert untested.cause is Cause.UNTESTED


# -- what is left alone --------------------------------------------------------------------------
def test_killed_and_other_statuses_get_no_cause() -> None:
    replaced = rep("test_a", "pkg.core.helper")
    mutants = [
        mutant("pkg.core.x_helper__mutmut_1", status)
        for status in (Status.KILLED, Status.TIMEOUT, Status.SKIPPED, Status.SUSPICIOUS, Status.ACCEPTED)
    ]
    classify(mutants, census(replaced))
    assert [(m.cause, m.mocks, m.replaced_in, m.hint) for m in mutants] == [(None, [], [], "")] * 5


def test_classifying_twice_gives_the_same_evidence() -> None:
    m = mutant(EXECUTE, Status.NO_TESTS)
    c = census(rep("test_a", "pkg.core.Downloader._execute_download"))
    classify([m], c)
    first = (m.cause, list(m.mocks), list(m.replaced_in), m.hint)
    classify([m], c)
    assert (m.cause, m.mocks, m.replaced_in, m.hint) == first


# -- tally and census checks ---------------------------------------------------------------------
def test_tally_counts_mutants_survivors_runners_and_replacers_per_function() -> None:
    runners = (T + "test_real", T + "test_other")
    mutants = [mutant(f"{EXECUTE[:-1]}{n}", Status.KILLED, runners) for n in range(1, 4)]
    mutants += [mutant(f"{EXECUTE[:-1]}{n}", Status.SURVIVED, runners) for n in range(4, 6)]
    mutants.append(mutant("pkg.core.x_helper__mutmut_1", Status.NO_TESTS))
    c = census(
        *(rep(f"test_{n}", "pkg.core.Downloader._execute_download") for n in range(23)),
        rep("test_real", "pkg.core.Downloader._execute_download"),  # runs it too: not counted as replacing
    )
    tallies = tally(mutants, c)
    assert tallies == [
        FunctionTally(
            "pkg.core.Downloader._execute_download",
            "Downloader._execute_download",
            "pkg/core.py",
            5,
            2,
            2,
            23,
        ),
        FunctionTally("pkg.core.helper", "helper", "pkg/core.py", 1, 1, 0, 0),
    ]
    assert (
        tallies[0].line()
        == "`Downloader._execute_download`: 5 mutants, 2 survive; run by 2 tests, replaced in 23"
    )
    assert tallies[1].line() == "`helper`: 1 mutant, 1 survives; run by 0 tests, replaced in 0"


def test_unknown_tests_are_those_mutmut_ran_but_the_census_never_saw() -> None:
    m = mutant("pkg.core.x_helper__mutmut_1", tests=(T + "test_seen", "tests/other.py::test_new"))
    assert unknown_tests([m], census(tests=(T + "test_seen",))) == {"tests/other.py::test_new"}


def test_tally_without_a_census_uses_the_classified_evidence() -> None:
    runners = (T + "test_real",)
    c = census(rep("test_a", "pkg.core.Downloader._execute_download"), rep("test_b", "pkg.core.Downloader"))
    mutants = [mutant(EXECUTE, Status.KILLED, runners), mutant(EXECUTE[:-1] + "2", Status.SURVIVED, runners)]
    classify(mutants, c)
    assert tally(mutants) == tally(mutants, c)
    assert (
        tally(mutants)[0].line()
        == "`Downloader._execute_download`: 2 mutants, 1 survives; run by 1 test, replaced in 2"
    )


def test_partly_mocked_hint_with_several_runners_names_the_fastest() -> None:
    m = mutant(EXECUTE, tests=(T + "test_fast", T + "test_slow"))
    classify([m], census(rep("test_a", "pkg.core.Downloader._execute_download")))
    assert m.hint == (
        "replaced in 1 test, run for real by 2 tests that pass with this change: "
        "assert what `_execute_download` does in `test_fast`"
    )


def test_an_untested_callback_names_the_parameter_the_silent_fakes_and_the_mocks_of_the_receiver() -> None:
    progress = mutant("pkg.core.xǁManagerǁ_on_progress__mutmut_1", Status.NO_TESTS)
    handoff = Handoff(
        "Manager._on_progress",
        "download",
        "progress_callback",
        None,
        "pkg/core.py:15",
        (Fake("FakeDownloader.download", "tests/test_dl.py:20", False),),
    )
    mocks = (
        rep("test_a", "pkg.core.Downloader.download", "patch.object", "tests/test_dl.py:30"),
        rep("test_b", "pkg.core.Downloader.download", "mocker.spy", "tests/test_dl.py:40"),
    )
    classify([progress], census(*mocks), handoffs={("pkg/core.py", "Manager._on_progress"): [handoff]})
    assert progress.cause is Cause.UNTESTED
    assert progress.hint == (
        "`_on_progress` is only passed as `progress_callback` to `download` (pkg/core.py:15); the tests replace "
        "`download` with mocks that never call it (tests/test_dl.py:30); the fakes of `download` in the tests "
        "never call it: `FakeDownloader.download` (tests/test_dl.py:20). Make a fake call `progress_callback`, "
        "or test `_on_progress` directly"
    )
