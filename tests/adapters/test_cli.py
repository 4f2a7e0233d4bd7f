"""`python -m adapters analyze`: end to end in a subprocess, and in-process with failing fakes."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.cli import BadInput, Item, azure_from_env, parse_line, parser, run
from adapters.config import EngineConfig
from adapters.contracts import EngineError
from adapters.engines import Engines
from adapters.fakes import FakeLanguageDetector, FakeSentimentAnalyzer, FakeTranslator
from adapters.fallback import ChainPolicy, LanguageChain, SentimentChain, TranslationChain
from adapters.local_safety import LexiconSafetyChecker

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AZURE_")}
    return subprocess.run(
        [sys.executable, "-m", "adapters", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )


def lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_analyze_arguments_with_fake_engines() -> None:
    done = cli("analyze", "Hola, quiero morir", "I love it, thanks!", "--engines", "fake", "--to", "en")
    assert done.returncode == 0, done.stderr
    first, second = lines(done.stdout)
    assert first["id"] == 1 and first["text"] == "Hola, quiero morir"
    assert (first["language"]["language"], first["language"]["engine"]) == ("es", "fake")
    assert first["translation"]["text"] == "[es→en] Hola, quiero morir"
    assert first["safety"]["flagged"] is True
    assert first["safety"]["category"] == "suicidal_ideation"
    assert first["safety"]["checked"] == ["original", "translation"]
    assert first["fallbacks"] == []
    assert second["sentiment"]["label"] == "positive"
    assert set(second["sentiment"]["scores"]) == {"positive", "neutral", "negative"}
    assert second["sentiment"]["sentences"][0]["label"] == "positive"
    assert second["safety"]["flagged"] is False


def test_json_lines_with_bad_lines_give_error_objects() -> None:
    stdin = "\n".join(
        [
            json.dumps({"id": "a", "text": "bonjour, je suis content"}),
            "not json",
            json.dumps({"id": 7}),
            "[1, 2]",
            "",
            json.dumps({"text": "hallo", "to": "xx"}),
            json.dumps({"text": "hola"}),
        ]
    )
    done = cli("analyze", "--engines", "fake", stdin=stdin)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    out = lines(done.stdout)
    assert [o.get("id") for o in out] == ["a", None, 7, None, 6, 7]
    assert out[0]["language"]["language"] == "fr" and "translation" not in out[0]
    assert out[1] == {"id": None, "line": 2, "error": out[1]["error"]}
    assert out[1]["error"].startswith("not JSON")
    assert out[2]["error"] == '"text" must be a string'
    assert "JSON object" in out[3]["error"]
    assert out[4]["line"] == 6 and '"to"' in out[4]["error"]
    assert out[5]["text"] == "hola"  # id defaults to the line number


def test_local_language_and_passthrough_translation() -> None:
    done = cli(
        "analyze",
        "Ich möchte sterben",
        "--engines",
        "local",
        "--sentiment-engines",
        "fake",
        "--to",
        "en",
        "--metrics",
    )
    assert done.returncode == 0, done.stderr
    [out] = lines(done.stdout)
    assert (out["language"]["language"], out["language"]["engine"]) == ("de", "local")
    assert out["translation"]["translated"] is False
    assert out["translation"]["engine"] == "local"
    assert out["safety"]["flagged"] is True
    metrics = json.loads(done.stderr.strip().splitlines()[-1])["metrics"]
    assert metrics["language"][0]["engine"] == "local"
    assert metrics["language"][0]["calls"] == 1


def test_azure_without_configuration_is_a_usage_error() -> None:
    done = cli("analyze", "hello", "--engines", "azure")
    assert done.returncode == 2
    assert "language_engines" in done.stderr and "Traceback" not in done.stderr


def test_bad_options_are_rejected_by_argparse() -> None:
    assert cli("analyze", "x", "--engines", "watson").returncode == 2
    assert cli("analyze", "x", "--to", "xx").returncode == 2


def test_azure_settings_come_from_the_bots_variables() -> None:
    language, translator = azure_from_env(
        {
            "AZURE_LANGUAGE_ENDPOINT": "https://lang.example",
            "AZURE_LANGUAGE_KEY": "k1",
            "AZURE_TRANSLATOR_ENDPOINT": "https://tr.example",
            "AZURE_TRANSLATOR_REGION": "westeurope",
            "AZURE_TRANSLATOR_KEY": " ",
        }
    )
    assert language is not None and (language.endpoint, language.key) == ("https://lang.example", "k1")
    assert translator is not None
    assert (translator.key, translator.region) == (None, "westeurope")
    assert azure_from_env({}) == (None, None)


def test_parse_line_accepts_a_per_line_target() -> None:
    assert parse_line(1, '{"id": 5, "text": "hola", "to": "fr"}') == Item(5, "hola", "fr")
    assert isinstance(parse_line(2, '{"text": 3}'), BadInput)


async def test_fallback_reasons_are_reported_per_part() -> None:
    failing = FakeLanguageDetector("azure")
    failing.fail_with(EngineError("azure", "503"))
    broken_translator = FakeTranslator("azure")
    broken_translator.fail_with(EngineError("azure", "429"))
    sentiment = FakeSentimentAnalyzer("azure", supported_languages=["en"])

    def build(config: EngineConfig) -> Engines:
        policy = ChainPolicy(timeout_s=1.0)
        return Engines(
            LanguageChain([failing, FakeLanguageDetector("local")], policy=policy),
            SentimentChain([sentiment, FakeSentimentAnalyzer("local")], policy=policy),
            TranslationChain([broken_translator], policy=policy),
            LexiconSafetyChecker(),
        )

    args = parser().parse_args(["analyze", "hola, quiero ayuda", "--to", "en"])
    stdout = io.StringIO()
    status = await run(
        args, stdin=io.StringIO(), stdout=stdout, stderr=io.StringIO(), environ={}, build=build
    )
    assert status == 0
    [out] = lines(stdout.getvalue())
    assert out["language"]["engine"] == "local"
    assert out["translation"]["engine"] == "passthrough"
    assert [(f["part"], f["engine"], f["reason"]) for f in out["fallbacks"]] == [
        ("language", "azure", "error"),
        ("sentiment", "azure", "unsupported_language"),
        ("translation", "azure", "error"),
    ]
    assert failing.closed and broken_translator.closed


@pytest.mark.parametrize("argv", [["analyze", "-"], ["analyze"]])
def test_dash_or_nothing_reads_stdin(argv: list[str]) -> None:
    assert parser().parse_args(argv).texts in (["-"], [])
