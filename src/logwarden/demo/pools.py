"""Shared pools (people, addresses, hosts) and the clock every demo format draws from.

Everything here is fixed data or a pure function of a seeded ``random.Random``, so the generated
files are the same bytes on every run. Times are the servers' wall clock (Moscow, UTC+03:00) held as
float seconds since 1970 "as if UTC": formatting is table lookups, not ``strftime`` per line.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import TypeVar

T = TypeVar("T")

DOMAIN = "corp.ru"
NETBIOS = "CORP"
TZ = "+03:00"
TZ_OFFSET_S = 3 * 3600

# Transliterated Russian names: (first name, surname, patronymic initial).
PEOPLE: list[tuple[str, str, str]] = [
    ("ivan", "petrov", "s"), ("olga", "smirnova", "v"), ("sergey", "ivanov", "a"),
    ("elena", "kuznetsova", "i"), ("dmitry", "sokolov", "p"), ("natalia", "popova", "n"),
    ("alexey", "lebedev", "m"), ("irina", "kozlova", "d"), ("andrey", "novikov", "e"),
    ("tatiana", "morozova", "g"), ("mikhail", "volkov", "o"), ("svetlana", "solovyova", "a"),
    ("nikolay", "vasiliev", "f"), ("anna", "zaitseva", "s"), ("pavel", "pavlov", "b"),
    ("maria", "semenova", "k"), ("vladimir", "golubev", "l"), ("ekaterina", "vinogradova", "r"),
    ("yuri", "bogdanov", "v"), ("yulia", "vorobyova", "t"), ("artem", "fedorov", "i"),
    ("anastasia", "mikhailova", "a"), ("roman", "belyaev", "y"), ("ksenia", "tarasova", "m"),
    ("oleg", "belov", "n"), ("daria", "komarova", "p"), ("konstantin", "orlov", "v"),
    ("galina", "kiseleva", "e"), ("viktor", "makarov", "s"), ("lyudmila", "andreeva", "g"),
    ("evgeny", "kovalev", "d"), ("marina", "ilyina", "o"), ("boris", "gusev", "a"),
    ("valentina", "titova", "l"), ("grigory", "kuzmin", "r"), ("zoya", "kudryavtseva", "k"),
]

USERS = [f"{f}.{s}@{DOMAIN}" for f, s, _ in PEOPLE]                 # Zimbra accounts
SHELL_USERS = [f"{f[0]}{s}" for f, s, _ in PEOPLE[:8]] + ["zimbra", "deploy", "backup"]
DIRECTUM_USERS = [f"{NETBIOS}\\\\{s}_{f[0]}{p}" for f, s, p in PEOPLE]  # JSON-escaped Domain\user
ALIASES = [f"{a}@{DOMAIN}" for a in ("info", "sales", "hr", "buh", "zakupki", "support")]
SERVICE_SENDERS = [f"noreply@{DOMAIN}", f"1c-robot@{DOMAIN}", f"directum@{DOMAIN}", f"monitoring@{DOMAIN}"]

# Each person has a workstation on the LAN and some a phone on a mobile network.
WORKSTATIONS = [f"10.10.{1 + i // 12}.{20 + (i * 7) % 200}" for i in range(len(PEOPLE))]
MOBILE_IPS = ["5.142.40.137", "176.59.44.12", "85.140.3.201", "188.170.81.4", "31.173.86.55",
              "94.25.168.90", "213.87.131.7", "37.113.20.65", "2a00:1fa0:4231:8b12::1c",
              "2a02:6b8:c0e:500:1:45:d181:10"]
# A handful of hosts that hammer the logins: they make the bursts of failures in every format.
ATTACKERS = ["45.141.84.120", "185.234.216.59", "91.240.118.172", "193.106.191.33", "80.94.95.181",
             "2a0e:8f02:f017::4d2"]
SCANNERS = ["162.142.125.9", "167.94.138.44", "71.6.199.23", "198.235.24.153", "45.79.181.104",
            "2001:470:1:c84::17"]
INTERNET_CLIENTS = ["95.165.12.40", "178.176.72.9", "46.242.9.144", "217.118.93.51", "109.252.18.7",
                    "2a02:2168:8b4:de00:a1b2:3c4d:5e6f:7081", "83.220.236.18", "62.217.160.2"]

LOCAL_HOSTS = ["mail01", "mailstore01", "mta01", "web01", "web02", "ldap01", "rx01", "teams01"]
ZIMBRA_PROXY_IP = "10.0.1.10"
MAILSTORE = ("mailstore01.corp.ru", "10.0.1.20")

# Mail partners: (domain, MX host, MX address).
PARTNERS = [
    ("yandex.ru", "mx.yandex.ru", "77.88.21.249"), ("mail.ru", "mxs.mail.ru", "94.100.180.31"),
    ("gmail.com", "gmail-smtp-in.l.google.com", "142.250.150.27"),
    ("rambler.ru", "mx.rambler.ru", "81.19.77.166"), ("stroytech.ru", "mx1.stroytech.ru", "91.215.43.10"),
    ("promsnab.ru", "mail.promsnab.ru", "185.12.92.44"), ("bank-invest.ru", "mx.bank-invest.ru", "194.67.7.19"),
    ("nalog.gov.ru", "mx1.nalog.gov.ru", "213.24.64.175"), ("logistika-nn.ru", "mx.logistika-nn.ru", "5.101.152.3"),
]
EXTERNAL_LOCALPARTS = ["info", "sales", "a.sidorov", "manager", "buhgalteria", "office", "noreply", "k.egorova",
                       "support", "zakaz", "tender", "d.frolov", "hr", "director", "news"]


class Rng:
    """``random.Random`` with the few draws the generators need, all built on ``random()``."""

    __slots__ = ("_r", "random")

    def __init__(self, seed: int | str) -> None:
        self._r = random.Random(seed)
        self.random = self._r.random

    def pick(self, seq: Sequence[T]) -> T:
        return seq[int(self.random() * len(seq))]

    def chance(self, p: float) -> bool:
        return self.random() < p

    def between(self, lo: int, hi: int) -> int:
        """An int in [lo, hi]."""
        return lo + int(self.random() * (hi - lo + 1))

    def hex(self, digits: int) -> str:
        return f"{self._r.getrandbits(4 * digits):0{digits}x}"

    def weighted(self, cum: Sequence[float], items: Sequence[T]) -> T:
        """Pick from ``items`` by a cumulative weight table (see :func:`cumulative`)."""
        return items[bisect_right(cum, self.random() * cum[-1])]


def cumulative(weights: Sequence[float]) -> list[float]:
    out, acc = [], 0.0
    for w in weights:
        acc += w
        out.append(acc)
    return out


# --- time -------------------------------------------------------------------------------------

_EPOCH_ORD = date(1970, 1, 1).toordinal()
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
HMS = [f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)]
# How busy each hour of the working day is (nights quiet, a peak before lunch).
HOUR_WEIGHT = [0.15, 0.1, 0.1, 0.1, 0.1, 0.15, 0.3, 0.7, 1.4, 2.0, 2.2, 2.1,
               1.6, 1.9, 2.1, 2.0, 1.8, 1.3, 0.8, 0.5, 0.4, 0.3, 0.25, 0.2]


def epoch(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> float:
    """Wall-clock time as seconds since 1970 (treated as UTC for formatting)."""
    d = datetime(year, month, day, hour, minute, second)
    return float((d.toordinal() - _EPOCH_ORD) * 86400 + hour * 3600 + minute * 60 + second)


@lru_cache(maxsize=256)
def _day(dayno: int) -> tuple[str, str, str]:
    d = date.fromordinal(_EPOCH_ORD + dayno)
    mon = _MONTHS[d.month - 1]
    return d.isoformat(), f"{mon} {d.day:2d}", f"{d.day:02d}/{mon}/{d.year}"


def ts_bsd(t: float) -> str:
    """``Mar  1 10:17:00`` (RFC 3164: no year, day padded with a space)."""
    s = int(t)
    return f"{_day(s // 86400)[1]} {HMS[s % 86400]}"


def ts_comma_ms(t: float) -> str:
    """``2026-03-01 10:17:00,123`` (log4j, Zimbra)."""
    s = int(t)
    return f"{_day(s // 86400)[0]} {HMS[s % 86400]},{int((t - s) * 1000):03d}"


def ts_iso_ms(t: float, sep: str = "T", tz: str = TZ) -> str:
    """``2026-03-01T10:17:00.123+03:00``."""
    s = int(t)
    return f"{_day(s // 86400)[0]}{sep}{HMS[s % 86400]}.{int((t - s) * 1000):03d}{tz}"


def ts_utc_ms(t: float) -> str:
    """The same instant in UTC: ``2026-03-01T07:17:00.123Z``."""
    return ts_iso_ms(t - TZ_OFFSET_S, "T", "Z")


def ts_clf(t: float) -> str:
    """``01/Mar/2026:10:17:00 +0300`` (nginx/Apache access log)."""
    s = int(t)
    return f"{_day(s // 86400)[2]}:{HMS[s % 86400]} +0300"


class Pace:
    """Advances a clock so that ``n`` lines spread over [start, end], busier in working hours.

    Lines in hour h get time in proportion to ``1 / HOUR_WEIGHT[h]``; every 64 ticks the step is
    recalibrated from the lines still to come and the (weighted) time left, so bursts of quick lines
    do not make a file end early.
    """

    __slots__ = ("_base", "_cum", "_done", "_end", "_h0", "_n", "_rand", "_ticks", "t")

    def __init__(self, rng: Rng, start: float, end: float, n: int) -> None:
        self.t = start
        self._rand = rng.random
        self._end, self._n, self._done, self._ticks = end, max(n, 1), 0.0, 0
        self._h0 = int(start // 3600)
        self._cum = [0.0]  # weighted seconds from the start hour to each following hour boundary
        for k in range(int(end // 3600) - self._h0 + 2):
            self._cum.append(self._cum[-1] + 3600 * HOUR_WEIGHT[(self._h0 + k) % 24])
        self._base = 2.0 * (self._w(end) - self._w(start)) / self._n

    def _w(self, t: float) -> float:
        k = int(t // 3600) - self._h0
        return self._cum[k] + (t - (self._h0 + k) * 3600) * HOUR_WEIGHT[(self._h0 + k) % 24]

    def tick(self, lines: float = 1, weight: float = 1.0) -> float:
        """Move on by the time ``lines`` lines (each ``weight`` of a normal one) take; returns the new time."""
        t = self.t
        self._done += lines
        self._ticks += 1
        if not self._ticks & 63 and t < self._end and self._done < self._n:
            self._base = 2.0 * (self._w(self._end) - self._w(t)) / (self._n - self._done)
        t += self._base * lines * weight * self._rand() / HOUR_WEIGHT[int(t) // 3600 % 24]
        self.t = t
        return t
