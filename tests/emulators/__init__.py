"""Local HTTP emulators of the Azure AI Language, Translator and Content Safety REST APIs,
with faults.

Usage (tests and benches alike):

    async with LanguageEmulator(key="k") as emu:
        client = TextAnalyticsClient(emu.url, AzureKeyCredential("k"))
        emu.faults.push(Fault.rate_limited(2))
"""

from tests.emulators.base import EmulatorServer, RecordedRequest
from tests.emulators.content_safety import TEXT_ANALYZE_PATH, ContentSafetyEmulator
from tests.emulators.faults import Fault, FaultKind, FaultPlan
from tests.emulators.language import ANALYZE_PATH, LanguageEmulator
from tests.emulators.translator import TRANSLATE_PATH, TranslatorEmulator

__all__ = [
    "ANALYZE_PATH",
    "TEXT_ANALYZE_PATH",
    "TRANSLATE_PATH",
    "ContentSafetyEmulator",
    "EmulatorServer",
    "Fault",
    "FaultKind",
    "FaultPlan",
    "LanguageEmulator",
    "RecordedRequest",
    "TranslatorEmulator",
]
