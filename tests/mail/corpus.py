"""A corpus of real-world-shaped messages, made here (nothing downloaded): character sets, nested MIME,
winmail.dat, huge attachments, HTML with scripts, missing and broken headers, broken MIME, auto-replies,
bounces, loops, threads and duplicates. Each item says what must become of it, or "any" for input whose
fate is a judgement call (it must still be a request, a join or a rejection with a reason)."""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.base import MIMEBase
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

CREATED, JOINED, REJECTED, ANY = "created", "joined", "rejected", "any"


@dataclass
class Item:
    label: str
    raw: bytes
    expect: str


def _headers(n: int, sender: str = "rob@acme.test", subject: str | None = None, extra: str = "") -> bytes:
    subject = subject if subject is not None else f"Corpus message {n}"
    return (f"From: {sender}\r\nTo: support@desk.test\r\nSubject: {subject}\r\n"
            f"Date: Fri, 06 Mar 2026 09:{n % 60:02d}:00 +0000\r\nMessage-ID: <corpus-{n}@acme.test>\r\n{extra}"
            ).encode()


CHARSETS = [
    ("utf-8", "Grüße aus Köln – der Drucker streikt. 🙁"), ("iso-8859-1", "Café crème, s'il vous plaît"),
    ("windows-1252", "“Smart quotes” – and a € sign"), ("koi8-r", "Принтер не работает"),
    ("shift_jis", "プリンターが壊れました"), ("gb2312", "打印机坏了"), ("big5", "印表機壞了"),
    ("iso-2022-jp", "至急お願いします"), ("iso-8859-15", "Œuvre à 10 €"), ("cp1251", "Срочно, сеть упала"),
    ("utf-16", "Sixteen bits per unit"), ("iso-8859-7", "Ο εκτυπωτής χάλασε"),
]


def corpus(seed: int = 15) -> list[Item]:  # noqa: C901  (one long list of cases reads best)
    rnd = random.Random(seed)
    items: list[Item] = []
    n = 0

    def add(label: str, raw: bytes, expect: str) -> None:
        items.append(Item(label, raw, expect))

    # 1. Character sets, declared right, declared wrong, unknown: 12 x 3
    for charset, text in CHARSETS:
        n += 1
        body = text.encode(charset)
        add(f"charset {charset}", _headers(n, extra=f"Content-Type: text/plain; charset={charset}\r\n"
                                               "Content-Transfer-Encoding: 8bit\r\n") + b"\r\n" + body, CREATED)
        n += 1
        add(f"charset {charset} in base64", _headers(n, extra=f"Content-Type: text/plain; charset=\"{charset}\"\r\n"
                                                           "Content-Transfer-Encoding: base64\r\n")
            + b"\r\n" + base64.encodebytes(body), CREATED)
        n += 1
        add(f"{charset} bytes declared as utf-8", _headers(n, extra="Content-Type: text/plain; charset=utf-8\r\n")
            + b"\r\n" + body + b"\xff\xfe", CREATED)
    for bogus in ("x-unknown", "utf-99", "", "\"", "unicode-1-1-utf-7"):
        n += 1
        add(f"unknown charset {bogus!r}", _headers(n, extra=f"Content-Type: text/plain; charset={bogus}\r\n")
            + b"\r\nHello \xe9\xe8\r\n", CREATED)

    # 2. Encoded and broken subjects and names: 14
    for subject in ("=?utf-8?q?Drucker_kaputt_=E2=80=93_B=C3=BCro_3?=", "=?iso-8859-1?b?Q2Fm6SBjcuhtZQ==?=",
                    "=?utf-8?b?!!!notbase64?=", "=?x-bogus?q?hello?=", "=?utf-8?q?unterminated", "Re: Re: Fwd: AW: hi",
                    "a" * 1000, "line\r\n folded\r\n  subject", "   ", "\x00\x01 control chars \x7f",
                    "=?utf-8?q?=F0=9F=94=A5?= emoji", "=?ISO-2022-JP?B?GyRCJSQlcyU/ITwlTSVDJUgbKEI=?="):
        n += 1
        add(f"subject {subject[:30]!r}", _headers(n, subject=subject) + b"\r\nBody\r\n", CREATED)
    for name in ("=?utf-8?q?R=C3=B6b_Acme?= <rob@acme.test>", "\"Acme, Rob\" <rob@acme.test>"):
        n += 1
        add(f"sender {name}", _headers(n, sender=name) + b"\r\nBody\r\n", CREATED)

    # 3. Nested MIME, inline images, forwarded messages, winmail.dat, calendar invites: 30
    for depth in (1, 2, 3, 5, 10):
        for variant in range(3):
            n += 1
            inner: MIMEBase = MIMEText(f"Deep text at depth {depth}", "plain", "utf-8")
            for level in range(depth):
                outer = MIMEMultipart(["mixed", "alternative", "related"][(level + variant) % 3])
                outer.attach(inner)
                if variant == 1:
                    outer.attach(MIMEImage(b"\x89PNG\r\n\x1a\n" + rnd.randbytes(200), "png", name=f"img{level}.png"))
                inner = outer
            for name, value in (("From", "rob@acme.test"), ("To", "support@desk.test"),
                                ("Subject", f"Nested {depth}/{variant}"), ("Message-ID", f"<corpus-{n}@acme.test>")):
                inner[name] = value
            add(f"nested depth {depth} variant {variant}", inner.as_bytes(), CREATED)
    for i in range(5):
        n += 1
        fwd = EmailMessage()
        fwd["From"], fwd["To"], fwd["Subject"] = "vendor@elsewhere.test", "rob@acme.test", f"Original {i}"
        fwd.set_content("The original message body")
        outer_msg = EmailMessage()
        outer_msg["From"], outer_msg["To"] = "rob@acme.test", "support@desk.test"
        outer_msg["Subject"], outer_msg["Message-ID"] = f"Fwd: Original {i}", f"<corpus-{n}@acme.test>"
        outer_msg.set_content("See below")
        outer_msg.add_attachment(fwd)
        add(f"forwarded message/rfc822 {i}", outer_msg.as_bytes(), CREATED)
    for i in range(5):
        n += 1
        m = MIMEMultipart()
        m["From"], m["To"], m["Subject"] = "outlook.user@acme.test", "support@desk.test", f"Rich text {i}"
        m["Message-ID"] = f"<corpus-{n}@acme.test>"
        m.attach(MIMEText("See the attachment", "plain"))
        m.attach(MIMEApplication(b"\x78\x9f\x3e\x22" + rnd.randbytes(500), "ms-tnef", name="winmail.dat"))
        add(f"winmail.dat {i}", m.as_bytes(), CREATED)
    for i in range(5):
        n += 1
        m = MIMEMultipart("alternative")
        m["From"], m["To"], m["Subject"] = "rob@acme.test", "support@desk.test", f"Invitation {i}"
        m["Message-ID"] = f"<corpus-{n}@acme.test>"
        m.attach(MIMEText("You are invited", "plain"))
        m.attach(MIMEText("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "calendar"))
        add(f"calendar invite {i}", m.as_bytes(), CREATED)

    # 4. Huge and many attachments: 6
    for i, size in enumerate((11 * 1024 * 1024, 12 * 1024 * 1024)):
        n += 1
        m = MIMEMultipart()
        m["From"], m["To"], m["Subject"] = "rob@acme.test", "support@desk.test", f"Huge scan {i}"
        m["Message-ID"] = f"<corpus-{n}@acme.test>"
        m.attach(MIMEText("The scan is attached", "plain"))
        m.attach(MIMEApplication(rnd.randbytes(size), "pdf", name=f"scan{i}.pdf"))
        add(f"huge attachment {size // 1024 // 1024} MB", m.as_bytes(), CREATED)
    for count in (60, 120):
        n += 1
        m = MIMEMultipart()
        m["From"], m["To"], m["Subject"] = "rob@acme.test", "support@desk.test", f"{count} photos"
        m["Message-ID"] = f"<corpus-{n}@acme.test>"
        for j in range(count):
            m.attach(MIMEImage(b"\x89PNG\r\n\x1a\n" + rnd.randbytes(64), "png", name=f"p{j}.png"))
        add(f"{count} attachments", m.as_bytes(), CREATED)
    for name in ("invoice.pdf.exe", "run.bat"):
        n += 1
        m = MIMEMultipart()
        m["From"], m["To"], m["Subject"] = "rob@acme.test", "support@desk.test", f"Program {name}"
        m["Message-ID"] = f"<corpus-{n}@acme.test>"
        m.attach(MIMEText("Please run this", "plain"))
        m.attach(MIMEApplication(b"MZ" + rnd.randbytes(100), "octet-stream", name=name))
        add(f"program attachment {name}", m.as_bytes(), CREATED)

    # 5. HTML with scripts and tricks: 15
    hostile = [
        "<script>alert(1)</script><p>Hi</p>", "<img src=x onerror=alert(1)>Hello", "<a href=\"javascript:alert(1)\">x</a>",
        "<iframe src=\"https://evil.test\"></iframe>Text", "<style>body{display:none}</style><p>Styled</p>",
        "<svg><script>alert(1)</script></svg>", "<p onclick=\"steal()\">Click</p>", "<form action=/x><input></form>ok",
        "<object data=x></object>ok", "<meta http-equiv=refresh content=0;url=evil>ok", "<base href=//evil.test>ok",
        "<p>" + "<div>" * 2000 + "deep" + "</div>" * 2000 + "</p>", "<a href=\"data:text/html,<script>x</script>\">d</a>",
        "unclosed <b><i><table><tr><td>cells", "<p>&lt;script&gt; entity &amp; text</p>",
    ]
    for html in hostile:
        n += 1
        add(f"html {html[:30]!r}", _headers(n, extra="Content-Type: text/html; charset=utf-8\r\n")
            + b"\r\n" + html.encode(), CREATED)

    # 6. Missing headers: 10
    add("empty message", b"", REJECTED)
    add("only a newline", b"\r\n", REJECTED)
    add("no From", b"To: support@desk.test\r\nSubject: who am I\r\n\r\nbody", REJECTED)
    add("From without an address", b"From: Rob\r\nSubject: hi\r\n\r\nbody", REJECTED)
    add("From full of brackets", b"From: <<<>>>\r\nSubject: hi\r\n\r\nbody", REJECTED)
    n += 1
    add("no Subject", b"From: rob@acme.test\r\nMessage-ID: <corpus-%d@acme.test>\r\n\r\nbody" % n, CREATED)
    add("no Message-ID", b"From: rob@acme.test\r\nSubject: no id here\r\n\r\nbody one", CREATED)
    add("no Date, no Content-Type", b"From: rob@acme.test\r\nSubject: bare\r\n\r\nbare body", CREATED)
    n += 1
    add("headers only", _headers(n), CREATED)
    add("garbage Date", b"From: rob@acme.test\r\nSubject: d\r\nDate: yesterday-ish\r\n\r\nbody two", CREATED)

    # 7. Broken MIME: 16
    broken = [
        ("multipart without boundary", "Content-Type: multipart/mixed\r\n", "no boundary here"),
        ("boundary never closed", "Content-Type: multipart/mixed; boundary=XX\r\n", "--XX\r\nContent-Type: text/plain\r\n\r\nopen"),
        ("wrong boundary", "Content-Type: multipart/mixed; boundary=XX\r\n", "--YY\r\n\r\ntext\r\n--YY--"),
        ("bad base64", "Content-Transfer-Encoding: base64\r\n", "!!!! not base64 @@@"),
        ("bad quoted-printable", "Content-Transfer-Encoding: quoted-printable\r\n", "=ZZ=\r\n=4"),
        ("unknown transfer encoding", "Content-Transfer-Encoding: x-uuencode-ish\r\n", "begin 644 x"),
        ("garbage content type", "Content-Type: ;;;===\r\n", "body"),
        ("content type without subtype", "Content-Type: text\r\n", "body"),
        ("message/rfc822 with junk", "Content-Type: message/rfc822\r\n", "not a message at all"),
        ("nested part with bad base64", "Content-Type: multipart/mixed; boundary=B\r\n",
         "--B\r\nContent-Type: application/pdf; name=a.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n%%%%\r\n--B--"),
        ("attachment without a name", "Content-Type: multipart/mixed; boundary=B\r\n",
         "--B\r\nContent-Type: text/plain\r\n\r\nhi\r\n--B\r\nContent-Disposition: attachment\r\n\r\nblob\r\n--B--"),
        ("attachment name with path", "Content-Type: multipart/mixed; boundary=B\r\n",
         "--B\r\nContent-Type: text/plain\r\n\r\nhi\r\n--B\r\nContent-Disposition: attachment; filename=\"../../etc/passwd\"\r\n\r\nx\r\n--B--"),
    ]
    for label, extra, body in broken:
        n += 1
        add(label, _headers(n, extra=extra) + b"\r\n" + body.encode(), CREATED)
    n += 1
    add("8-bit bytes in headers", _headers(n, subject="Pr\xfcfung".encode("latin-1").decode("latin-1"))
        .replace(b"Pr\xc3\xbcfung", b"Pr\xfcfung") + b"\r\nbody", CREATED)
    n += 1
    add("NUL bytes", _headers(n) + b"\r\nnul\x00 bytes\x00 inside", CREATED)
    n += 1
    add("a 200 KB line", _headers(n) + b"\r\n" + b"x" * 200_000, CREATED)
    n += 1
    add("LF line endings", _headers(n).replace(b"\r\n", b"\n") + b"\nunix body\n", CREATED)

    # 8. Not an email at all: 5
    for i in range(3):
        add(f"random bytes {i}", rnd.randbytes(2000 + i), REJECTED)
    add("a PDF file", b"%PDF-1.4\n" + rnd.randbytes(500), REJECTED)
    add("plain prose", b"Just some text someone pasted, no headers", REJECTED)

    # 9. Machines: auto-replies, bounces, loops: 20
    for i, extra in enumerate([
        "Auto-Submitted: auto-replied\r\n", "Auto-Submitted: auto-generated\r\n", "Auto-Submitted: auto-notified; owner\r\n",
        "Precedence: bulk\r\n", "Precedence: junk\r\n", "Precedence: list\r\n", "Precedence: auto_reply\r\n",
        "X-Autoreply: yes\r\n", "X-Autorespond: yes\r\n", "X-Autogenerated: Reply\r\n",
    ]):
        n += 1
        add(f"auto {extra.strip()}", _headers(n, subject=f"Out of office {i}", extra=extra) + b"\r\nI am away", REJECTED)
    for i in range(4):
        n += 1
        dsn = (
            f"From: MAILER-DAEMON@mx.acme.test\r\nTo: support@desk.test\r\n"
            f"Subject: Undelivered Mail Returned to Sender {i}\r\nMessage-ID: <corpus-{n}@mx.acme.test>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=R\r\n\r\n"
            "--R\r\nContent-Type: text/plain\r\n\r\nThis is the mail system at host mx.acme.test.\r\n"
            "--R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.acme.test\r\n\r\n"
            "Final-Recipient: rfc822; x@acme.test\r\nAction: failed\r\n--R--\r\n"
        )
        add(f"bounce {i}", dsn.encode(), REJECTED)
    for i in range(2):
        n += 1
        add(f"postmaster {i}", _headers(n, sender="postmaster@acme.test") + b"\r\ncannot deliver", REJECTED)
    for i in range(2):
        n += 1
        add(f"our own Message-ID {i}", _headers(n).replace(b"@acme.test>", b"@amends.localhost>")
            + b"\r\nlooped", REJECTED)
    for i in range(2):
        n += 1
        add(f"from our own address {i}", _headers(n, sender="support@desk.test") + b"\r\nlooped", REJECTED)

    # 10. Senders: known, by domain, unknown: 20
    for i in range(8):
        n += 1
        add(f"new sender by domain {i}", _headers(n, sender=f"person{i}@acme.test") + b"\r\nhello", CREATED)
    for i in range(8):
        n += 1
        add(f"unknown sender {i}", _headers(n, sender=f"Stranger {i} <s{i}@nowhere{i}.test>") + b"\r\nhello", CREATED)
    for i in range(4):
        n += 1
        add(f"known contact {i}", _headers(n, sender="gina@globex.test") + b"\r\nhello", CREATED)

    # 11. Threads: replies by In-Reply-To, References and AM-n in the subject, unknown ids: 20
    for i in range(8):
        n += 1
        add(f"reply by In-Reply-To {i}", _headers(n, subject="Re: Corpus message 1",
                                                  extra="In-Reply-To: <corpus-1@acme.test>\r\n") + b"\r\nany news?", JOINED)
    for i in range(6):
        n += 1
        add(f"reply by References {i}", _headers(n, extra="References: <nowhere@x.test> <corpus-2@acme.test>\r\n")
            + b"\r\nand?", JOINED)
    for i in range(3):
        n += 1
        add(f"reply to an unknown message {i}", _headers(n, extra="In-Reply-To: <never-seen@x.test>\r\n")
            + b"\r\nhm", CREATED)
    for i in range(3):
        n += 1
        add(f"References header of junk {i}", _headers(n, extra="References: <<<>>> <a b> \r\n") + b"\r\nx", CREATED)

    # 12. Duplicates: the same bytes again, the same Message-ID with other bytes: 20
    originals = [it for it in items if it.expect == CREATED and b"Message-ID: <corpus-" in it.raw][:10]
    for it in originals:
        add(f"duplicate of {it.label}", it.raw, REJECTED)
    for it in originals:
        add(f"same Message-ID, other bytes: {it.label}", it.raw.replace(b"\r\n\r\n", b"\r\nX-Resent: 1\r\n\r\n", 1),
            REJECTED)
    return items
