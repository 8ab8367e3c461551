"""`vbp simulate` / `vbp compare` as a user runs them."""

import json
import subprocess
import sys
from pathlib import Path

import yaml

from app.cli import main

EXAMPLES = Path(__file__).parents[2] / "examples"
SMALL = str(EXAMPLES / "small-round.json")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_simulate_prints_outcome_json(capsys):
    code, out, err = run(capsys, "simulate", SMALL)
    assert code == 0 and err == ""
    outcome = json.loads(out)
    assert outcome["summary"]["prepayment_total"] == "13787.98"


def test_table_format_is_a_human_summary(capsys):
    code, out, _ = run(capsys, "simulate", SMALL, "--format", "table")
    assert code == 0
    assert "AML-ORAL  AWARDED" in out and "CEF-INJ  FAILED" in out
    assert "E02" in out and "0.1200" in out and "not awarded: price_rule" in out
    assert "savings" in out and "218760.08" in out


def test_invalid_document_exits_2_naming_the_path(tmp_path, capsys):
    doc = json.loads(Path(SMALL).read_text())
    doc["bids"][3]["pack_price"] = "0"
    doc["demands"][1]["reported"] = -3
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    code, out, err = run(capsys, "simulate", str(bad))
    assert code == 2 and out == ""
    assert "bids[3].pack_price" in err and "demands[1].reported" in err
    assert "Traceback" not in err


def test_unreadable_and_malformed_files_exit_2(tmp_path, capsys):
    code, _, err = run(capsys, "simulate", str(tmp_path / "missing.json"))
    assert code == 2 and "cannot read" in err
    broken = tmp_path / "broken.json"
    broken.write_text('{"round": ')
    code, _, err = run(capsys, "simulate", str(broken))
    assert code == 2 and "not valid JSON" in err and "line 1" in err


def test_yaml_document_gives_the_same_outcome(tmp_path, capsys):
    doc = json.loads(Path(SMALL).read_text())
    path = tmp_path / "round.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    _, from_json, _ = run(capsys, "simulate", SMALL)
    _, from_yaml, _ = run(capsys, "simulate", str(path))
    strip = lambda text: {k: v for k, v in json.loads(text).items() if k != "solver"}  # noqa: E731
    assert strip(from_json) == strip(from_yaml)


def test_yaml_aliases_are_read_but_not_a_billion_laughs(tmp_path, capsys):
    # an anchored value reused is ordinary YAML (JSON is YAML: anchor the first KM region)
    text = Path(SMALL).read_text()
    first = text.index('"region": "KM"')
    aliased = (
        text[:first]
        + '"region": &km "KM"'
        + text[first + len('"region": "KM"') :].replace('"region": "KM"', '"region": *km ')
    )
    assert aliased.count("*km") >= 1
    path = tmp_path / "aliased.yaml"
    path.write_text(aliased)
    code, out, _ = run(capsys, "simulate", str(path))
    assert code == 0 and json.loads(out)["summary"]["prepayment_total"] == "13787.98"

    # 9 levels of ten aliases each: 300 bytes that stand for 10**9 values
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    laughs = tmp_path / "laughs.yaml"
    laughs.write_text("\n".join(lines) + "\n")
    code, out, err = run(capsys, "simulate", str(laughs))
    assert code == 2 and out == ""
    assert "aliases (*name) make 31 nodes stand for 12,345,679,021" in err


def test_rules_and_set_override_the_document(capsys):
    code, out, _ = run(
        capsys, "simulate", SMALL, "--rules", "batch10", "--set", "prepay_ratio=0.40"
    )
    assert code == 0
    outcome = json.loads(out)
    assert outcome["round"]["profile"] == "batch10"
    assert outcome["rules"]["prepay_ratio"] == "0.40"


def test_bad_override_exits_2_naming_the_field(capsys):
    code, _, err = run(capsys, "simulate", SMALL, "--set", "prepay_ratio=0.1")
    assert code == 2 and "rules.overrides.prepay_ratio" in err


def test_compare_puts_profiles_side_by_side(capsys):
    code, out, _ = run(capsys, "compare", SMALL, "--profiles", "batch7,batch10")
    assert code == 0
    assert "batch7" in out and "batch10" in out and "prepayment total" in out
    code, out, _ = run(capsys, "compare", SMALL, "--profiles", "batch7,batch10", "--format", "json")
    data = json.loads(out)
    assert data["profiles"] == ["batch7", "batch10"]
    aml = next(g for g in data["groups"] if g["id"] == "AML-ORAL")
    assert len(aml["batch7"]["winners"]) == 3 and len(aml["batch10"]["winners"]) == 2


def test_compare_table_shows_every_winner_and_every_digit():
    from app.simulate_cli import compare_table

    winners = [{"enterprise": f"ENTERPRISE-{i:02d}", "price": "123.4567"} for i in range(5)]
    outcome = {
        "groups": [{"id": "A-VERY-LONG-GROUP-ID", "status": "awarded", "winners": winners,
                    "unallocated_volume": 0}],
        "summary": {"contract_amount": "1.00", "savings": "0.00", "prepayment_total": "0.30"},
    }  # fmt: skip
    table = compare_table([("batch7", outcome), ("batch10", outcome)])
    for w in winners:
        assert table.count(f"{w['enterprise']}@123.4567") == 2, table
    lines = table.splitlines()
    assert lines[1].startswith("A-VERY-LONG-GROUP-ID  ENTERPRISE-00@123.4567")
    # each profile's column starts at the same place on every line
    column = lines[0].index("batch10")
    assert all(line[column:].startswith("ENTERPRISE") for line in lines[1:4]), table


def test_installed_command_is_deterministic():
    vbp = Path(sys.executable).with_name("vbp")
    outs = []
    for _ in range(2):
        res = subprocess.run(
            [str(vbp), "simulate", SMALL], capture_output=True, text=True, check=True
        )
        outcome = json.loads(res.stdout)
        outcome["solver"]["seconds"] = 0
        outs.append(res.stdout.split('"solver"')[0])
    assert outs[0] == outs[1]


def test_highs_output_is_clean_json():
    # HiGHS writes a banner on file descriptor 1; the command's stdout must stay pure JSON.
    vbp = Path(sys.executable).with_name("vbp")
    res = subprocess.run(
        [str(vbp), "simulate", SMALL, "--solver", "highs", "--allocation", "min_cost"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert json.loads(res.stdout)["solver"]["name"] == "highs"


def test_max_share_caps_each_winner_in_min_cost(capsys):
    code, out, _ = run(capsys, "simulate", SMALL, "--allocation", "min_cost", "--max-share", "0.5")
    assert code == 0
    outcome = json.loads(out)
    aml = [a for a in outcome["allocations"] if a["group"] == "AML-ORAL"]
    per_winner: dict[str, int] = {}
    for a in aml:
        per_winner[a["enterprise"]] = per_winner.get(a["enterprise"], 0) + a["volume"]
    assert max(per_winner.values()) <= 240800 // 2
    assert sum(per_winner.values()) == 240800  # E01 and E02 can carry half each


def test_max_share_needs_min_cost(capsys):
    code, _, err = run(capsys, "simulate", SMALL, "--max-share", "0.5")
    assert code == 2 and "--allocation min_cost" in err


def test_progress_is_written_for_a_terminal():
    from io import StringIO

    from app.simulate_cli import _TerminalProgress

    stream = StringIO()
    progress = _TerminalProgress(stream)
    progress("winner selection", 2, 5)
    progress("done", 5, 5)
    assert "[2/5] winner selection" in stream.getvalue() and stream.getvalue().endswith("\n")


def test_simulate_year_reports_month_by_month(capsys):
    code, out, _ = run(capsys, "simulate-year", SMALL, "--format", "json", "--seed", "3")
    assert code == 0
    report = json.loads(out)
    assert [m["month"] for m in report["months"]][:2] == ["2027-01", "2027-02"]
    assert report["summary"]["prepayment_total"] == "13787.98"
    code, out, _ = run(capsys, "simulate-year", SMALL)
    assert code == 0 and "prepay balance" in out and "2027-12" in out


def test_simulate_year_refuses_bad_settings(capsys):
    code, _, err = run(capsys, "simulate-year", SMALL, "--failure-probability", "2")
    assert code == 2 and "failure_probability" in err


def test_decoding_failures_exit_2_without_traceback(tmp_path, capsys):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000)
    huge = tmp_path / "huge.json"
    huge.write_text('{"round": {"id": "X"}, "n": ' + "9" * 5000 + "}")
    for path in (deep, huge):
        code, _, err = run(capsys, "simulate", str(path))
        assert code == 2 and "Traceback" not in err, err


def test_bad_time_limit_exits_2(capsys):
    code, _, err = run(capsys, "simulate", SMALL, "--time-limit", "0")
    assert code == 2 and "--time-limit" in err


def test_yaml_without_suffix_and_json_with_bom(tmp_path, capsys):
    doc = json.loads(Path(SMALL).read_text())
    plain = tmp_path / "round.txt"
    plain.write_text(yaml.safe_dump(doc))
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + json.dumps(doc).encode())
    for path in (plain, bom):
        code, out, err = run(capsys, "simulate", str(path))
        assert code == 0, err
        assert json.loads(out)["summary"]["prepayment_total"] == "13787.98"


def test_json_numbers_keep_their_digits(tmp_path, capsys):
    # As a float, 3.360000000000000001 would silently become 3.36; read exactly, it has 19
    # significant digits and is refused by name.
    text = (
        Path(SMALL)
        .read_text()
        .replace('"pack_price": "3.36"', '"pack_price": 3.360000000000000001')
    )
    path = tmp_path / "precise.json"
    path.write_text(text)
    code, _, err = run(capsys, "simulate", str(path))
    assert code == 2 and "bids[1].pack_price" in err and "digits" in err


def test_outcome_reports_the_objective(capsys):
    _, out, _ = run(capsys, "simulate", SMALL)
    solver = json.loads(out)["solver"]
    assert solver["status"] == "optimal" and solver["objective"] is not None
    assert solver["models"][0]["model"] == "selection"


def test_a_round_where_every_group_fails_is_trivially_optimal(tmp_path, capsys):
    doc = json.loads(Path(SMALL).read_text())
    doc["bids"] = []
    path = tmp_path / "no-bids.json"
    path.write_text(json.dumps(doc))
    _, out, _ = run(capsys, "simulate", str(path))
    outcome = json.loads(out)
    assert outcome["solver"]["status"] == "optimal"
    assert {g["status"] for g in outcome["groups"]} == {"failed"}


def test_simulate_year_refuses_a_start_near_the_end_of_the_calendar(tmp_path, capsys):
    doc = json.loads(Path(SMALL).read_text())
    doc["round"]["agreement_start"] = "9999-06-01"
    path = tmp_path / "far.json"
    path.write_text(json.dumps(doc))
    code, _, err = run(capsys, "simulate-year", str(path))
    assert code == 2 and "agreement_start" in err


def test_a_reader_that_stops_early_gets_no_traceback(tmp_path):
    # `vbp simulate FILE | head -1`: the pipe closes while the outcome is being written. The
    # outcome (about 260 kB) is larger than a pipe holds, so the writer always meets the close.
    sys.path.insert(0, str(EXAMPLES.parent))
    try:
        from bench.generate import generate_round
    finally:
        sys.path.remove(str(EXAMPLES.parent))
    doc = tmp_path / "round.json"
    doc.write_text(json.dumps(generate_round(seed=1, groups=10, institutions=200, regions=4,
                                             demand_lines=1000, bids=40)))  # fmt: skip
    vbp = Path(sys.executable).with_name("vbp")
    proc = subprocess.Popen(
        [str(vbp), "simulate", str(doc)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(1) == b"{"
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141
    assert "Traceback" not in err, err
