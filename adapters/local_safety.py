"""Offline distress and self-harm detection: hand-written phrase lexicons for all 24 languages.

Precision matters less than recall here: a false alarm costs one kind message,
a miss costs far more. So every language's lexicon is checked whatever language
the text was detected as (short texts are often misdetected), sarcasm is not
discounted, and phrases are kept specific enough to leave everyday hyperbole
("this bug is killing me", "I hate this product") alone. Callers check both the
original and the translated text.

Matching runs on normalised text: NFKC, case-folded, apostrophes unified, and
(except for Vietnamese, where tone marks carry meaning) combining accents and
Arabic/Hebrew vowel points removed, so "quiero morir", "QUIERO MORÍR" and
"أريدُ أنْ أموت" match their phrases. Space-delimited languages match on word
boundaries; Chinese, Japanese and Korean match anywhere, with optional spaces.

One module, over 300 lines: most of it is the lexicons' data for 24 languages; the matcher
itself is short.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from adapters.contracts import SafetyResult

SUICIDAL = "suicidal_ideation"
SELF_HARM = "self_harm"
DISTRESS = "distress"
SEVERITY: tuple[str, ...] = (SUICIDAL, SELF_HARM, DISTRESS)  # most severe first

# Phrases are small regexes over normalised text: a space means "whitespace".
# Write them as people type them; they pass through the same normalisation.
Lexicon = Mapping[str, tuple[str, ...]]

LEXICONS: Mapping[str, Lexicon] = {
    "en": {
        SUICIDAL: (
            "(want|wanna|wish|need|going) to die",
            "i wish i (was|were) dead",
            "(i'd|i would|i'll|i will|we'd) be better off dead",
            "(better|happier) off without me",
            "kill(ing)? my ?self",
            "end (it all|my life|my own life)",
            "take my (own )?life",
            "(commit|committing|considering|thinking about|think about) suicide",
            "suicidal",
            "suicide (note|plan|attempt)",
            "no reason to (live|keep living|go on)",
            "nothing (left )?to live for",
            "(don't|do not|dont) want to (live|be alive|exist|wake up)( any ?more)?",
            "life (is not|isn't|isnt|ain't) worth living",
            "(hope|wish) i (never|don't|dont) wake up",
            "i (wanna|want|wana) die",
            "(i'd|i would|id) (rather|sooner) (be dead|die|not (exist|be alive|be here))",
            "(hang|hanging|shoot|shooting|drown|drowning) my ?self",
            "(gonna|wanna|going to|want to|should|will|i'll|might|about to) kms",
            "^kms",
            "^suicide[.!?]*$",
            "suicide (is|seems) (the only|my only) (way|option|answer)",
        ),
        SELF_HARM: (
            "(hurt|hurting|harm|harming|cut|cutting) my ?self",
            "self(-| )?harm(ing)?",
            "(take|taking|took) an overdose",
        ),
        DISTRESS: (
            "can'?t (go on|take (it|this) any ?more|do this any ?more)",
            "can ?not (go on|take (it|this) any ?more|do this any ?more)",
            "i give up on (life|everything)",
            "(i feel|i'm|im|i am|feeling) (so |completely |totally )?hopeless",
            "(there's|there is) no way out",
            "i hate my life",
            "i('m| am) a burden",
        ),
    },
    "es": {
        SUICIDAL: (
            "(me )?quiero morir(me)?",
            "me quiero (matar|suicidar)",
            "quiero (matarme|suicidarme)",
            "voy a (matar|suicidar)(me)?",
            "suicidarme",
            "pienso en (el )?suicidio",
            "(ya )?no quiero (seguir )?vivir",
            "no tengo (ninguna )?razon (para|por la que) vivir",
            "no vale la pena vivir",
            "(acabar|terminar) con (todo|mi vida)",
            "quitarme la vida",
            "(desearia|ojala) estar muert[oa]",
            "(estarian|estaria) mejor sin mi",
        ),
        SELF_HARM: (
            "(hacerme|me hago|me hice) dano",
            "cortarme (los brazos|las venas|las munecas)",
            "me corto (los brazos|las venas|las munecas)",
            "lastimarme",
            "autolesionarme",
            "autolesion(es)?",
        ),
        DISTRESS: (
            "(ya )?no (puedo|aguanto) mas",
            "no puedo seguir( asi)?",
            "me siento sin esperanza",
            "no hay salida",
        ),
    },
    "fr": {
        SUICIDAL: (
            "je veux mourir",
            "(j'ai )?envie de mourir",
            "je (veux|vais) me (tuer|suicider)",
            "me suicider",
            "mettre fin a (mes jours|ma vie)",
            "en finir avec (la vie|tout|ma vie)",
            "je (veux|vais|voudrais) en finir",
            "je ne veux plus vivre",
            "(plus|pas) envie de vivre",
            "(aucune|plus de) raison de vivre",
            "je serais mieux mort(e)?",
            "(ils|elles|tout le monde) (seraient|serait) mieux sans moi",
        ),
        SELF_HARM: (
            "me faire du mal",
            "me (blesser|mutiler|scarifier)",
            "je me (scarifie|mutile|coupe les veines)",
            "automutilation",
        ),
        DISTRESS: (
            "je n'en peux plus",
            "je ne peux plus continuer",
            "je suis (desespere(e)?|sans espoir)",
        ),
    },
    "de": {
        SUICIDAL: (
            "ich will sterben",
            "ich m(o|oe)chte sterben",
            "ich will nicht mehr leben",
            "ich (will|mag) nicht mehr[.!…]*$",
            "(will|werde|mochte|moechte) mich umbringen",
            "mich (umbringen|toten|toeten)",
            "(mir|mich) das leben nehmen",
            "selbstmord(gedanken)?",
            "suizid(al|gedanken)?",
            "kein(en)? grund (mehr )?zu leben",
            "(ich )?(ware|waere) lieber tot",
            "(allen|euch) (ware|waere|ginge es) ohne mich besser",
            "alles beenden",
        ),
        SELF_HARM: (
            "mich (selbst )?(verletzen|ritzen)",
            "ich ritze mich",
            "selbstverletzung",
        ),
        DISTRESS: (
            "ich kann nicht mehr",
            "ich halte (es|das) nicht mehr aus",
            "ich (bin|fuhle mich|fuehle mich) (so )?hoffnungslos",
        ),
    },
    "it": {
        SUICIDAL: (
            "voglio morire",
            "mi voglio (uccidere|ammazzare|suicidare)",
            "voglio (uccidermi|ammazzarmi|suicidarmi)",
            "(togliermi|mi tolgo) la vita",
            "non (voglio|ho voglia di) (piu )?vivere",
            "nessun motivo per vivere",
            "farla finita",
            "pensieri suicidi",
            "(sarebbero|starebbero) meglio senza di me",
        ),
        SELF_HARM: (
            "farmi del male",
            "tagliarmi (le vene|i polsi)",
            "mi taglio (le vene|i polsi)",
            "autolesionismo",
        ),
        DISTRESS: ("non ce la faccio piu", "sono senza speranza", "non reggo piu"),
    },
    "pt": {
        SUICIDAL: (
            "quero morrer",
            "(quero|vou|vontade de) me (matar|suicidar)",
            "(quero|vou) (matar|suicidar)-me",
            "nao quero mais viver",
            "nao quero (continuar a |continuar )?viver",
            "(nenhum|sem) motivo para viver",
            "acabar com (tudo|a minha vida|minha vida)",
            "tirar (a )?(minha )?(propria )?vida",
            "(seriam|estariam) melhor(es)? sem mim",
        ),
        SELF_HARM: ("me (machucar|cortar|ferir)", "automutila\\w*"),
        DISTRESS: ("nao aguento mais", "nao consigo mais", "(estou )?sem esperanca"),
    },
    "nl": {
        SUICIDAL: (
            "ik wil dood",
            "ik wil (niet meer leven|sterven)",
            "zelfmoord(gedachten)?",
            "mezelf (van kant maken|doden|ombrengen|iets aandoen)",
            "een einde aan (mijn leven|alles) maken",
            "mijn leven beeindigen",
            "geen reden (meer )?om te leven",
            "beter af zonder mij",
        ),
        SELF_HARM: ("mezelf (pijn doen|snijden|verwonden)", "zelfbeschadiging"),
        DISTRESS: ("ik kan (het )?niet meer", "ik hou het niet (meer )?vol"),
    },
    "sv": {
        SUICIDAL: (
            "jag vill do",
            "jag vill inte leva( langre)?",
            "ta livet av mig",
            "ta mitt (eget )?liv",
            "sjalvmord(stankar)?",
            "ingen anledning att leva",
            "ingen mening med livet",
        ),
        SELF_HARM: ("skada mig sjalv", "skara mig( sjalv)?"),
        DISTRESS: ("jag orkar inte (mer|langre)", "jag klarar inte mer"),
    },
    "da": {
        SUICIDAL: (
            "jeg vil dø",
            "jeg vil ikke leve (mere|længere)",
            "tage mit (eget )?liv",
            "sla mig selv ihjel",
            "selvmord(stanker)?",
            "ingen grund til at leve",
        ),
        SELF_HARM: ("skade mig selv", "skære i mig selv", "cutte mig selv"),
        DISTRESS: ("jeg kan ikke (mere|klare mere)", "jeg orker ikke mere"),
    },
    "cs": {
        SUICIDAL: (
            "chci umřít",
            "chci se zabít",
            "zabiju se",
            "spáchat sebevraždu",
            "sebevražd\\w*",
            "nechci (už )?žít",
            "nemám (žádný )?důvod žít",
            "skoncovat se (životem|vším)",
        ),
        SELF_HARM: ("ublížit si", "řezat se", "řežu se", "sebepoškozování"),
        DISTRESS: ("už nemůžu", "už to nezvládám", "už to nevydržím"),
    },
    "pl": {
        SUICIDAL: (
            "chcę umrzeć",
            "chcę się zabić",
            "zabiję się",
            "popełnić samobójstwo",
            "samobój\\w*",
            "nie chcę (już )?żyć",
            "nie mam po co żyć",
            "odebrać sobie życie",
        ),
        SELF_HARM: ("skrzywdzić się", "(ciąć|tnę) się", "samookalecz\\w*"),
        DISTRESS: ("nie daję rady", "już nie mogę", "nie wytrzymam (już )?dłużej"),
    },
    "ro": {
        SUICIDAL: (
            "vreau să mor",
            "vreau să mă (sinucid|omor)",
            "(o să|am să) mă (sinucid|omor)",
            "mă sinucid",
            "sinucider\\w*",
            "nu mai vreau să trăiesc",
            "nu am (niciun )?motiv să trăiesc",
            "să-?mi iau viața",
            "să îmi iau viața",
        ),
        SELF_HARM: ("să-?mi fac rău", "să mă rănesc", "automutilare"),
        DISTRESS: ("nu mai pot", "nu mai rezist"),
    },
    "tr": {
        SUICIDAL: (
            "ölmek istiyorum",
            "kendimi öldür\\w*",
            "intihar\\w*",
            "yaşamak istemiyorum",
            "yaşamak için (hiçbir )?(sebebim|nedenim) yok",
            "canıma kıy\\w*",
            "hayatıma son ver\\w*",
        ),
        SELF_HARM: ("kendime zarar ver\\w*", "kendimi kes\\w*"),
        DISTRESS: ("(artık|daha fazla) dayanamıyorum", "artık kaldıramıyorum"),
    },
    "id": {
        SUICIDAL: (
            "(aku|saya|gue|gw|ku) (mau|ingin|pengen|pengin) mati",
            "ingin mati saja",
            "bunuh diri",
            "mengakhiri hidup\\w*",
            "(tidak|tak|gak|nggak) (ada )?(alasan|gunanya) untuk hidup",
            "(tidak|tak|gak|nggak) mau hidup lagi",
        ),
        SELF_HARM: ("(menyakiti|melukai) diri( sendiri)?",),
        DISTRESS: ("(sudah |udah )?(tidak|gak|nggak) kuat lagi", "putus asa"),
    },
    "vi": {
        SUICIDAL: (
            "muốn chết",
            "muon chet",
            "muốn tự tử",
            "tự tử",
            "tự sát",
            "(không|chẳng) muốn sống( nữa)?",
            "khong muon song nua",
            "kết thúc cuộc (đời|sống)",
            "kết liễu (cuộc đời|bản thân|đời mình)",
            "(không|chẳng) còn lý do (gì )?để sống",
        ),
        SELF_HARM: ("tự (làm đau|làm hại|hại) (bản thân|mình)", "tự rạch tay"),
        DISTRESS: ("(không|chẳng) chịu (nổi|được) nữa", "hết chịu nổi"),
    },
    "el": {
        SUICIDAL: (
            "θέλω να πεθάνω",
            "αυτοκτον\\w*",
            "να σκοτώσω τον εαυτό μου",
            "(δεν θέλω|δε θέλω) να ζω",
            "(δεν θέλω|δε θέλω) να ζήσω( πια| άλλο)?",
            "κανένας λόγος να ζω",
            "δεν αξίζει να ζω",
        ),
        SELF_HARM: ("να βλάψω τον εαυτό μου", "αυτοτραυματισμ\\w*"),
        DISTRESS: ("δεν (αντέχω|μπορώ) (άλλο|πια)",),
    },
    "ru": {
        SUICIDAL: (
            "хочу умереть",
            "не хочу (больше )?жить",
            "жить не хочется",
            "(убить|убью) себя",
            "(покончить|покончу) с собой",
            "суицид\\w*",
            "самоубийств\\w*",
            "(нет смысла|незачем) жить",
            "нет сил жить",
            "лучше бы я (умер|умерла)",
        ),
        SELF_HARM: (
            "причинить себе (боль|вред)",
            "(порезать|режу) себя",
            "самоповрежд\\w*",
        ),
        DISTRESS: ("больше не могу", "не могу больше", "я не выдержу"),
    },
    "uk": {
        SUICIDAL: (
            "хочу померти",
            "не хочу (більше )?жити",
            "(вбити|вб'ю) себе",
            "покінчити (з собою|із собою|життя)",
            "самогубств\\w*",
            "суїцид\\w*",
            "(немає сенсу|нема сенсу|нема для чого) жити",
        ),
        SELF_HARM: ("(заподіяти|завдати) собі (шкоди|болю)", "порізати себе"),
        DISTRESS: ("більше не можу", "не можу більше"),
    },
    "ar": {
        SUICIDAL: (
            "أريد أن أموت",
            "أريد الموت",
            "أتمنى (الموت|أن أموت|لو أموت)",
            "بدي ا?موت",
            "عايز ا?موت",
            "عاوز ا?موت",
            "ابغى ا?موت",
            "ابي اموت",
            "أقتل نفسي",
            "انتح[ا]?ر",
            "لا أريد أن أعيش",
            "ما بدي ا?عيش",
            "مش (عايز|عاوز) ا?عيش",
            "(لا يوجد|ما في|مافي|ليس لدي) سبب (لأعيش|للعيش|اعيش)",
            "أنهي حياتي",
        ),
        SELF_HARM: ("(أؤذي|أذي|إيذاء|أجرح) نفسي",),
        DISTRESS: (
            "لم أعد أحتمل",
            "ما عدت أتحمل",
            "(مش|ما) قادرة? (أكمل|اتحمل)",
            "لا أستطيع الاستمرار",
        ),
    },
    "he": {
        SUICIDAL: (
            "(אני )?רוצה למות",
            "להתאבד",
            "אתאבד",
            "התאבדות",
            "להרוג את עצמי",
            "לא רוצה לחיות",
            "אין לי (סיבה|בשביל מה) לחיות",
            "לשים קץ ל(חיים|חיי)",
        ),
        SELF_HARM: ("לפגוע בעצמי", "לחתוך את עצמי"),
        DISTRESS: ("אני לא (יכול|יכולה) יותר", "אין לי כוח יותר", "נשבר לי"),
    },
    "hi": {
        SUICIDAL: (
            "मरना चाहत(ा|ी)",
            "मर जाना चाहत(ा|ी)",
            "(खुद|अपने आप) को (मार|ख़त्म|खत्म)",
            "आत्महत्या",
            "ख़ुदकुशी",
            "जीना नहीं चाहत(ा|ी)",
            "जीने की (कोई )?(वजह|इच्छा) नहीं",
            "(ज़िंदगी|जिंदगी|जीवन) (ख़त्म|खत्म|समाप्त) कर",
            "अपनी जान (ले|दे)",
            "marna chaht(a|i)",
            "mar jana chaht(a|i)",
            "khud ?kushi",
            "aatmahatya",
        ),
        SELF_HARM: ("(खुद|अपने आप) को (नुकसान|चोट) पहुं?चा",),
        DISTRESS: ("(अब )?और (नहीं सह सकत|बर्दाश्त नहीं)",),
    },
    "ja": {
        SUICIDAL: (
            "死にたい",
            "消えたい",
            "自殺",
            "死のうと",
            "生きていたくない",
            "生きたくない",
            "生きる(意味|理由)が(ない|無い)",
            "死んだ(ほう|方)がまし",
            "いなくなりたい",
        ),
        SELF_HARM: ("自分を傷つけ", "リスカ", "リストカット", "自傷"),
        DISTRESS: ("もう(無理|限界)", "耐えられない"),
    },
    "zh": {
        SUICIDAL: (
            "想死(?!你|您)",
            "不想活",
            "自杀",
            "自殺",
            "轻生",
            "輕生",
            "活不下去",
            "(结束|結束)(自己的)?生命",
            "了(结|結)(我)?自己",
            "(没有|沒有)活下去的(理由|意义|意義)",
            "活(着|著)(没|沒)(意思|意义|意義)",
        ),
        SELF_HARM: ("(伤害|傷害)自己", "割腕", "自残", "自殘"),
        DISTRESS: ("(撑|撐)不下去", "受不了了"),
    },
    "ko": {
        SUICIDAL: (
            "죽고 싶",
            "자살",
            "살고 싶지 않",
            "살 이유가 없",
            "목숨을 끊",
            "다 끝내고 싶",
        ),
        SELF_HARM: ("자해", "(나를|나 자신을|스스로를) 해치"),
        DISTRESS: ("더 이상 못 (견디|버티)", "버틸 수(가)? 없"),
    },
}

# Tone marks carry meaning in Vietnamese ("tự tử" suicide, "từ từ" slowly).
KEEP_MARKS = frozenset({"vi"})
NO_WORD_BOUNDARIES = frozenset({"ar", "he", "hi", "ja", "zh", "ko"})
OPTIONAL_SPACES = frozenset({"ja", "zh", "ko"})

_FOLD = str.maketrans(
    {
        "’": "'",
        "‘": "'",
        "ʼ": "'",
        "`": "'",
        "´": "'",
        "ı": "i",
        "ł": "l",
        "đ": "d",
        "ـ": None,  # Arabic tatweel
        "ى": "ي",
        "ة": "ه",
        "ँ": "ं",
        "़": None,  # Devanagari nukta
    }
)
_MARK_RANGES: tuple[tuple[int, int], ...] = (
    (0x0300, 0x036F),  # Latin, Greek, Cyrillic accents
    (0x0591, 0x05C7),  # Hebrew points
    (0x0610, 0x061A),
    (0x064B, 0x065F),  # Arabic harakat and hamza marks
    (0x0670, 0x0670),
    (0x06D6, 0x06ED),
)
_SPACES = re.compile(r"\s+")


@functools.cache
def _mark_table() -> dict[int, None]:
    """A str.translate table deleting the combining marks in _MARK_RANGES."""
    return {code: None for lo, hi in _MARK_RANGES for code in range(lo, hi + 1)}


def normalize(text: str, *, strip_marks: bool = True) -> str:
    """Case-folded NFKC text with unified apostrophes and, optionally, accents removed."""
    if text.isascii():
        return _SPACES.sub(" ", text.lower().replace("`", "'")).strip()
    text = unicodedata.normalize("NFKC", text).casefold()
    if strip_marks:
        stripped = unicodedata.normalize("NFD", text).translate(_mark_table())
        text = unicodedata.normalize("NFC", stripped)
    text = text.translate(_FOLD)
    # Arabic alef forms fold to bare alef once hamza marks are gone.
    text = text.replace("أ", "ا").replace("إ", "ا").replace("آ", "ا")
    return _SPACES.sub(" ", text).strip()


def _phrase_regex(language: str, phrases: tuple[str, ...]) -> str:
    """One category's phrases in one language as a regex, with its spacing and boundaries."""
    space = r"\s*" if language in OPTIONAL_SPACES else r"\s+"
    parts = []
    for phrase in phrases:
        folded = normalize(phrase, strip_marks=language not in KEEP_MARKS)
        parts.append(folded.replace(" ?", r"\s*").replace(" ", space))
    body = "|".join(parts)
    if language in NO_WORD_BOUNDARIES:
        return f"(?:{body})"
    return rf"(?<!\w)(?:{body})(?!\w)"


def _is_text_char(char: str) -> bool:
    return unicodedata.category(char)[0] in "LMN" or char == "'"


def anchor(phrase: str) -> str | None:
    """The longest literal run every match of `phrase` must contain (None if it has none).

    Only characters outside groups, classes and escapes count, and a character
    made optional by `?` or `*` is dropped, so the anchor is always required.
    """
    runs: list[str] = []
    current = ""
    depth = 0
    i = 0
    while i < len(phrase):
        char = phrase[i]
        if char == "|" and depth == 0:
            return None  # a top-level alternative: no single required literal
        if char in "?*" and current:
            current = current[:-1]
        if depth == 0 and _is_text_char(char):
            current += char
        else:
            runs.append(current)
            current = ""
            depth += (char in "([") - (char in ")]")
            i += char == "\\"  # skip the escaped character
        i += 1
    runs.append(current)
    return max(runs, key=len) or None


@dataclass(frozen=True)
class _Rule:
    """One language's phrases, one named group per category, in one precompiled regex.

    `anchors` are literals of which at least one must occur in the text for the
    regex to have a chance: a cheap substring test that skips most languages.
    """

    language: str
    pattern: re.Pattern[str]
    keep_marks: bool
    anchors: tuple[str, ...] | None

    def may_match(self, folded: str) -> bool:
        return self.anchors is None or any(map(folded.__contains__, self.anchors))


def _rules(lexicons: Mapping[str, Lexicon]) -> tuple[_Rule, ...]:
    rules = []
    for language, by_category in lexicons.items():
        groups = [
            f"(?P<{category}>{_phrase_regex(language, by_category[category])})"
            for category in SEVERITY
            if by_category.get(category)
        ]
        if not groups:
            continue
        keep_marks = language in KEEP_MARKS
        found = [
            anchor(normalize(phrase, strip_marks=not keep_marks))
            for phrases in by_category.values()
            for phrase in phrases
        ]
        anchors = None if None in found else tuple(dict.fromkeys(a for a in found if a))
        rules.append(_Rule(language, re.compile("|".join(groups)), keep_marks, anchors))
    return tuple(rules)


class LexiconSafetyChecker:
    """A SafetyChecker over precompiled per-language, per-category phrase regexes."""

    name = "lexicon"

    def __init__(self, lexicons: Mapping[str, Lexicon] | None = None) -> None:
        lexicons = LEXICONS if lexicons is None else lexicons
        unknown = {c for by_category in lexicons.values() for c in by_category} - set(SEVERITY)
        if unknown:
            raise ValueError(f"unknown safety categories: {sorted(unknown)}")
        self._rules = _rules(lexicons)
        self._keeps_marks = any(rule.keep_marks for rule in self._rules)
        self.languages: frozenset[str] = frozenset(lexicons)

    async def check(self, text: str, *, language: str) -> SafetyResult:
        """The chain's entry point; matching is fast and linear, so it runs inline."""
        return self.check_sync(text, language=language)

    def check_sync(self, text: str, *, language: str) -> SafetyResult:
        """Flag `text` if any language's phrases match (`language` is a hint, not a filter).

        Every lexicon is searched because short distress messages are easily
        misdetected; the phrases are specific enough not to collide.
        """
        del language  # all lexicons are searched; see the docstring
        if not text or text.isspace():
            return SafetyResult(False, self.name)
        stripped = normalize(text)
        kept = normalize(text, strip_marks=False) if self._keeps_marks else stripped
        categories: set[str] = set()
        matched: list[str] = []
        for rule in self._rules:
            folded = kept if rule.keep_marks else stripped
            if not rule.may_match(folded):
                continue
            for match in rule.pattern.finditer(folded):
                categories.add(match.lastgroup or DISTRESS)
                if match.group() not in matched:
                    matched.append(match.group())
        if not categories:
            return SafetyResult(False, self.name)
        category = next(c for c in SEVERITY if c in categories)
        return SafetyResult(True, self.name, category, tuple(matched))

    async def close(self) -> None:
        """Nothing to release; present so the checker closes like every engine."""
