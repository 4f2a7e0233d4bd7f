"""Short everyday chat messages in the bot's 24 languages, written for training the safety gate.

Most of what a chatbot reads is short and ordinary: greetings, thanks, yes/no, a number, a
load test's "message 12". Neither the tweets nor the safety data hold much of it, so the
gate (bench/train_safety.py) would send it all to the encoder. These are written here by hand
(never taken from a validation set) and combined with seeded numbers.
"""

from __future__ import annotations

import numpy as np

# Per language: greetings, thanks, assent and refusal, small talk and requests to the bot.
PHRASES: dict[str, tuple[str, ...]] = {
    "ar": ("مرحبا", "السلام عليكم", "صباح الخير", "مساء الخير", "شكرا", "شكرا جزيلا", "نعم", "لا", "حسنا",
           "تمام", "كيف حالك؟", "ماذا يمكنك أن تفعل؟", "مع السلامة", "أراك لاحقا", "ممتاز", "الطقس جميل اليوم"),
    "cs": ("ahoj", "dobrý den", "dobré ráno", "dobrý večer", "díky", "děkuji moc", "ano", "ne", "dobře",
           "jak se máš?", "co umíš?", "na shledanou", "uvidíme se", "skvělé", "dnes je hezky"),
    "da": ("hej", "goddag", "godmorgen", "godaften", "tak", "mange tak", "ja", "nej", "okay",
           "hvordan går det?", "hvad kan du?", "farvel", "vi ses", "super", "vejret er dejligt i dag"),
    "de": ("hallo", "guten Tag", "guten Morgen", "guten Abend", "danke", "vielen Dank", "ja", "nein", "okay",
           "wie geht's?", "was kannst du?", "tschüss", "bis später", "super", "das Wetter ist heute schön"),
    "el": ("γεια", "γεια σας", "καλημέρα", "καλησπέρα", "ευχαριστώ", "ευχαριστώ πολύ", "ναι", "όχι", "εντάξει",
           "τι κάνεις;", "τι μπορείς να κάνεις;", "αντίο", "τα λέμε", "τέλεια", "ο καιρός είναι ωραίος σήμερα"),
    "en": ("hello", "hi there", "hey", "good morning", "good evening", "thanks", "thanks a lot", "yes", "no",
           "ok", "sure", "how are you?", "what can you do?", "bye", "see you later", "great", "cool",
           "it is sunny outside", "can you check my order?", "hello bot, this is a test"),
    "es": ("hola", "buenos días", "buenas tardes", "buenas noches", "gracias", "muchas gracias", "sí", "no",
           "vale", "¿cómo estás?", "¿qué puedes hacer?", "adiós", "hasta luego", "genial", "hoy hace buen tiempo"),
    "fr": ("bonjour", "salut", "bonsoir", "merci", "merci beaucoup", "oui", "non", "d'accord", "ça va ?",
           "que sais-tu faire ?", "au revoir", "à plus tard", "super", "il fait beau aujourd'hui"),
    "he": ("שלום", "היי", "בוקר טוב", "ערב טוב", "תודה", "תודה רבה", "כן", "לא", "בסדר", "מה שלומך?",
           "מה אתה יודע לעשות?", "להתראות", "נתראה", "מעולה", "מזג האוויר יפה היום"),
    "hi": ("नमस्ते", "हैलो", "सुप्रभात", "शुभ संध्या", "धन्यवाद", "बहुत धन्यवाद", "हाँ", "नहीं", "ठीक है",
           "आप कैसे हैं?", "आप क्या कर सकते हैं?", "अलविदा", "फिर मिलेंगे", "बढ़िया", "आज मौसम अच्छा है"),
    "id": ("halo", "hai", "selamat pagi", "selamat malam", "terima kasih", "terima kasih banyak", "ya", "tidak",
           "oke", "apa kabar?", "kamu bisa apa?", "sampai jumpa", "dah", "mantap", "cuacanya cerah hari ini"),
    "it": ("ciao", "buongiorno", "buonasera", "grazie", "grazie mille", "sì", "no", "va bene", "come stai?",
           "cosa sai fare?", "arrivederci", "a dopo", "fantastico", "oggi c'è il sole"),
    "ja": ("こんにちは", "おはよう", "こんばんは", "ありがとう", "どうもありがとうございます", "はい", "いいえ",
           "了解", "元気ですか？", "何ができますか？", "さようなら", "またね", "いいね", "今日はいい天気です"),
    "ko": ("안녕하세요", "안녕", "좋은 아침", "감사합니다", "정말 고마워요", "네", "아니요", "알겠어요",
           "잘 지내요?", "뭘 할 수 있어요?", "잘 가요", "나중에 봐요", "좋아요", "오늘 날씨가 좋네요"),
    "nl": ("hallo", "hoi", "goedemorgen", "goedenavond", "bedankt", "heel erg bedankt", "ja", "nee", "oké",
           "hoe gaat het?", "wat kun je?", "doei", "tot later", "top", "het is mooi weer vandaag"),
    "pl": ("cześć", "dzień dobry", "dobry wieczór", "dzięki", "dziękuję bardzo", "tak", "nie", "dobrze",
           "jak się masz?", "co potrafisz?", "do widzenia", "na razie", "super", "dziś jest ładna pogoda"),
    "pt": ("olá", "oi", "bom dia", "boa noite", "obrigado", "muito obrigada", "sim", "não", "tá bom",
           "tudo bem?", "o que você sabe fazer?", "tchau", "até logo", "ótimo", "hoje está fazendo sol"),
    "ro": ("salut", "bună ziua", "bună dimineața", "bună seara", "mersi", "mulțumesc mult", "da", "nu", "bine",
           "ce faci?", "ce știi să faci?", "la revedere", "pe curând", "super", "azi e vreme frumoasă"),
    "ru": ("привет", "здравствуйте", "доброе утро", "добрый вечер", "спасибо", "большое спасибо", "да", "нет",
           "хорошо", "как дела?", "что ты умеешь?", "пока", "до встречи", "отлично", "сегодня хорошая погода"),
    "sv": ("hej", "god morgon", "god kväll", "tack", "tack så mycket", "ja", "nej", "okej", "hur mår du?",
           "vad kan du göra?", "hej då", "vi ses", "toppen", "det är fint väder idag"),
    "tr": ("merhaba", "selam", "günaydın", "iyi akşamlar", "teşekkürler", "çok teşekkür ederim", "evet", "hayır",
           "tamam", "nasılsın?", "neler yapabilirsin?", "hoşça kal", "görüşürüz", "harika", "bugün hava güzel"),
    "uk": ("привіт", "добрий день", "доброго ранку", "добрий вечір", "дякую", "щиро дякую", "так", "ні",
           "добре", "як справи?", "що ти вмієш?", "до побачення", "бувай", "чудово", "сьогодні гарна погода"),
    "vi": ("xin chào", "chào bạn", "chào buổi sáng", "cảm ơn", "cảm ơn nhiều", "vâng", "không", "được",
           "bạn khỏe không?", "bạn làm được gì?", "tạm biệt", "hẹn gặp lại", "tuyệt vời", "hôm nay trời đẹp"),
    "zh": ("你好", "您好", "早上好", "晚上好", "谢谢", "非常感谢", "是的", "不是", "好的", "你好吗？",
           "你能做什么？", "再见", "回头见", "太棒了", "今天天气很好"),
}

# Per language: words a test script or a person puts before a number ("message 12", "order 5").
NUMBERED: dict[str, tuple[str, ...]] = {
    "ar": ("رسالة", "اختبار", "طلب"), "cs": ("zpráva", "test", "objednávka"), "da": ("besked", "test", "ordre"),
    "de": ("Nachricht", "Test", "Bestellung"), "el": ("μήνυμα", "δοκιμή", "παραγγελία"),
    "en": ("message", "test", "msg", "order", "turn", "ping"), "es": ("mensaje", "prueba", "pedido"),
    "fr": ("message", "test", "commande"), "he": ("הודעה", "בדיקה", "הזמנה"), "hi": ("संदेश", "परीक्षण", "ऑर्डर"),
    "id": ("pesan", "tes", "pesanan"), "it": ("messaggio", "prova", "ordine"), "ja": ("メッセージ", "テスト", "注文"),
    "ko": ("메시지", "테스트", "주문"), "nl": ("bericht", "test", "bestelling"), "pl": ("wiadomość", "test", "zamówienie"),
    "pt": ("mensagem", "teste", "pedido"), "ro": ("mesaj", "test", "comanda"), "ru": ("сообщение", "тест", "заказ"),
    "sv": ("meddelande", "test", "beställning"), "tr": ("mesaj", "test", "sipariş"),
    "uk": ("повідомлення", "тест", "замовлення"), "vi": ("tin nhắn", "thử", "đơn hàng"), "zh": ("消息", "测试", "订单"),
}


def chat_messages(seed: int = 7, numbered_per_language: int = 24) -> list[tuple[str, str]]:
    """(language, text) pairs: the phrases as written, capitalised and punctuated, and numbered words."""
    rng = np.random.default_rng(seed)
    pairs: list[tuple[str, str]] = []
    for language, phrases in PHRASES.items():
        for phrase in phrases:
            pairs.append((language, phrase))
            pairs.append((language, phrase[:1].upper() + phrase[1:] + ("" if phrase[-1] in "?？;" else "!")))
        words = NUMBERED[language]
        for index in range(numbered_per_language):
            word = words[index % len(words)]
            number = int(rng.integers(1, 10 ** int(rng.integers(1, 6))))
            forms = (f"{word} {number}", f"{word} #{number}", f"{word.capitalize()} {number}.", f"{number}",
                     f"{phrases[index % len(phrases)]}, {word} {number}")
            pairs.append((language, forms[index % len(forms)]))
    return sorted(set(pairs))
