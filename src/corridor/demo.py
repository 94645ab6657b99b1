"""An illustrative demo operation: the evacuation of east Aleppo, 15–22 December 2016.

NOBODY IN IT IS REAL. Every person is generated: names are synthesised by combining
common Arabic given names and family names (in Arabic script or in one of several
Latin transliterations), and ages, needs and households are drawn at random. The
operation itself is modelled on public reporting of December 2016 (OCHA, WHO, ICRC,
Reuters; see the field notes): the first convoys of 15 Dec, the convoy sent back
from a militia checkpoint on 16 Dec, the pause, the ten-hour wait in the cold on
18 Dec, the 46-bus convoy of 19 Dec, the day-long delay of 21 Dec and the last four
buses on the evening of 22 Dec. Figures are approximate and scaled to `people`.

The same seed always gives the same events, byte for byte: ids are uuid5 of the seed
and the event's position, and all randomness comes from one `random.Random(seed)`.
The generator keeps its own model of who is where, so every event it yields is one
the fold accepts without a conflict; the planted problems (a headcount that does
not add up, a person never checked in) are alerts, not conflicts.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from itertools import islice
from typing import Any

from corridor.domain.vocabulary import NEED_PRIORITY, NO_NEED_PRIORITY, Need, Role
from corridor.services.ledger import MAX_BATCH, Ledger, Principal

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://corridor.example/demo/east-aleppo-2016")
SYRIA = timezone(timedelta(hours=2))  # Syria kept UTC+2 through the winter of 2016
START = datetime(2016, 12, 15, tzinfo=SYRIA)  # times below are seconds after this
FULL_SCALE = 35_000  # OCHA citing ICRC: 35,000+ people left east Aleppo
MIN_PEOPLE = 1_000  # fewer cannot fill every convoy the story needs
PRINCIPAL = Principal("demo", Role.COORDINATOR, "demo-generator")
MINUTE, HOUR, DAY = 60, 3600, 86_400

# --- the places, parties and routes of the operation ----------------------------------

PARTIES = (  # (party_id, name, kind, description)
    ("gov", "Government forces", "party",
     "Party to the agreement; holds the Ramouseh crossing."),
    ("opposition", "Opposition armed groups", "party",
     "Party to the agreement; hold al-Rashideen on the western side."),
    ("militia", "Allied militia", "party",
     "Pro-government militia holding the Salah al-Din checkpoint."),
    ("icrc", "ICRC", "organisation",
     "International Committee of the Red Cross: coordinates the evacuation."),
    ("sarc", "SARC", "organisation",
     "Syrian Arab Red Crescent: buses, ambulances and registration."),
    ("who", "WHO", "organisation", "World Health Organization: medical evacuations."),
)
UN_MONITORS = ("un-monitors", "UN monitors", "organisation",
               "Neutral monitoring under UN Security Council resolution 2328, "
               "at the Ramouseh crossing from 19 Dec.")
MILITIA = "Allied militia"

LOCATIONS = (  # (location_id, kind, name, latitude, longitude, held_by)
    ("amiriyah", "gathering_point", "al-Amiriyah", 36.1769, 37.1352, None),
    ("sukkari", "gathering_point", "Sukkari square", 36.1786, 37.1585, None),
    ("salah-al-din", "checkpoint", "Salah al-Din checkpoint", 36.1842, 37.1296, "militia"),
    ("ramouseh", "crossing", "Ramouseh crossing", 36.1660, 37.1180, "gov"),
    ("rashideen", "checkpoint", "al-Rashideen (Rashidin-4) / Khan al-Asal staging",
     36.1672, 37.0392, "opposition"),
    ("atareb", "reception", "Atareb reception centre", 36.1386, 36.8306, None),
    ("sarmada", "reception", "Sarmada reception centre", 36.1793, 36.7190, None),
    ("idlib", "reception", "Idlib reception centre", 35.9306, 36.6339, None),
    ("bab-al-hawa", "hospital", "Bab al-Hawa hospital", 36.2310, 36.6700, None),
)
PLACE = {loc[0]: loc[2] for loc in LOCATIONS}
GATHERING = ("amiriyah", "sukkari")
CHECKPOINTS = ("salah-al-din", "ramouseh", "rashideen")  # ~12 km, three different forces
RECEPTIONS = ("atareb", "sarmada", "idlib")
HOSPITAL = "bab-al-hawa"
DESTINATION_WEIGHTS = (35, 25, 40)  # the evacuee's own choice among RECEPTIONS
# Minutes after departure to reach each checkpoint, then each destination.
LEG = {"salah-al-din": 15, "ramouseh": 30, "rashideen": 60}
ARRIVE = {"atareb": 110, "sarmada": 140, "idlib": 160, "bab-al-hawa": 150}


@dataclass(frozen=True, slots=True)
class _Route:
    route_id: str
    origin: str
    destination: str

    @property
    def name(self) -> str:
        return f"{PLACE[self.origin]} → {PLACE[self.destination]}"


ROUTES = [_Route(f"{gp}-{dest}", gp, dest) for gp in GATHERING for dest in RECEPTIONS]
MEDICAL = {gp: _Route(f"{gp}-{HOSPITAL}", gp, HOSPITAL) for gp in GATHERING}

# --- who registers: synthesised names -----------------------------------------------------
# (Arabic script, Latin transliterations, weight): common names, never real people.

MALE_NAMES = (
    ("محمد", ("Mohammed", "Muhammad", "Mohamad", "Mohamed"), 12),
    ("أحمد", ("Ahmad", "Ahmed"), 7), ("علي", ("Ali",), 4), ("عمر", ("Omar", "Umar"), 4),
    ("خالد", ("Khaled", "Khalid"), 3), ("حسن", ("Hassan", "Hasan"), 3),
    ("حسين", ("Hussein", "Hussain"), 2), ("يوسف", ("Youssef", "Yusuf", "Yousef"), 3),
    ("إبراهيم", ("Ibrahim",), 3), ("مصطفى", ("Mustafa", "Moustafa"), 3),
    ("عبد الله", ("Abdullah", "Abdallah"), 3), ("محمود", ("Mahmoud", "Mahmud"), 3),
    ("عبد الرحمن", ("Abdulrahman", "Abd al-Rahman"), 2), ("حمزة", ("Hamza",), 2),
    ("سامر", ("Samer",), 1), ("عمار", ("Ammar",), 1), ("بلال", ("Bilal",), 1),
    ("فراس", ("Firas",), 1), ("ياسر", ("Yasser", "Yasir"), 1), ("وليد", ("Walid", "Waleed"), 1),
    ("طارق", ("Tarek", "Tariq"), 1), ("أنس", ("Anas",), 1), ("جمال", ("Jamal",), 1),
    ("عبد القادر", ("Abdulkader", "Abd al-Qader"), 1), ("ماهر", ("Maher",), 1),
    ("سعيد", ("Said", "Saeed"), 1), ("رامي", ("Rami",), 1), ("باسل", ("Basel", "Basil"), 1),
    ("نزار", ("Nizar",), 1), ("مازن", ("Mazen",), 1), ("هشام", ("Hisham", "Hesham"), 1),
    ("زياد", ("Ziad", "Ziyad"), 1), ("عادل", ("Adel",), 1), ("كريم", ("Karim", "Kareem"), 1),
    ("نبيل", ("Nabil", "Nabeel"), 1), ("فادي", ("Fadi",), 1), ("غسان", ("Ghassan",), 1),
    ("عدنان", ("Adnan",), 1), ("منير", ("Munir", "Mounir"), 1), ("رياض", ("Riad", "Riyad"), 1),
    ("صالح", ("Saleh", "Salih"), 1), ("سليمان", ("Suleiman", "Sulayman"), 1),
    ("إسماعيل", ("Ismail",), 1), ("عيسى", ("Issa", "Eissa"), 1), ("موسى", ("Musa", "Moussa"), 1),
    ("هيثم", ("Haitham", "Haytham"), 1), ("وائل", ("Wael",), 1),
    ("جهاد", ("Jihad",), 1), ("نادر", ("Nader",), 1), ("حسام", ("Hussam", "Hossam"), 1),
    ("بشار", ("Bashar",), 1), ("أيمن", ("Ayman",), 1), ("شادي", ("Shadi",), 1),
    ("ربيع", ("Rabie", "Rabih"), 1), ("زكريا", ("Zakaria", "Zakariya"), 1),
    ("عبد الكريم", ("Abdulkarim", "Abd al-Karim"), 1),
    ("عبد الحميد", ("Abdulhamid", "Abd al-Hamid"), 1),
)
FEMALE_NAMES = (
    ("فاطمة", ("Fatima", "Fatma"), 6), ("مريم", ("Maryam", "Mariam"), 4),
    ("عائشة", ("Aisha", "Aysha"), 3), ("خديجة", ("Khadija", "Khadijeh"), 3),
    ("نور", ("Nour", "Noor"), 3), ("زينب", ("Zainab", "Zeinab"), 2), ("هبة", ("Heba", "Hiba"), 2),
    ("سارة", ("Sara", "Sarah"), 2), ("ليلى", ("Layla", "Leila"), 2), ("آمنة", ("Amina", "Amna"), 2),
    ("ريم", ("Reem", "Rim"), 2), ("هدى", ("Huda", "Hoda"), 2), ("أسماء", ("Asmaa", "Asma"), 2),
    ("رنا", ("Rana",), 1), ("رغد", ("Raghad",), 1), ("سلمى", ("Salma",), 1),
    ("سعاد", ("Suad", "Souad"), 1), ("حلا", ("Hala",), 1), ("دعاء", ("Duaa", "Doaa"), 1),
    ("بتول", ("Batoul",), 1), ("رشا", ("Rasha",), 1), ("لينا", ("Lina", "Leena"), 1),
    ("ديما", ("Dima",), 1), ("رهف", ("Rahaf",), 1), ("سلوى", ("Salwa",), 1),
    ("منى", ("Mona", "Muna"), 1), ("نادية", ("Nadia",), 1), ("سمر", ("Samar",), 1),
    ("وفاء", ("Wafaa", "Wafa"), 1), ("إيمان", ("Iman", "Eman"), 1), ("رانيا", ("Rania",), 1),
    ("ياسمين", ("Yasmin", "Yasmine"), 1), ("غادة", ("Ghada",), 1), ("سوسن", ("Sawsan",), 1),
    ("نسرين", ("Nisreen", "Nesrine"), 1), ("هند", ("Hind",), 1), ("لمى", ("Lama",), 1),
    ("جنى", ("Jana",), 1), ("شهد", ("Shahad",), 1), ("روان", ("Rawan",), 1),
    ("تسنيم", ("Tasnim", "Tasneem"), 1), ("بيان", ("Bayan",), 1), ("رحاب", ("Rehab", "Rihab"), 1),
)
FAMILY_NAMES = (
    ("الحسن", ("al-Hassan", "Alhasan", "Al Hasan")), ("الأحمد", ("al-Ahmad", "Alahmad")),
    ("العلي", ("al-Ali", "Alali")), ("الخطيب", ("al-Khatib", "Alkhateeb")),
    ("الحلبي", ("al-Halabi", "Halabi")), ("الشيخ", ("al-Sheikh", "Alsheikh")),
    ("المصري", ("al-Masri", "Almasri")), ("العمر", ("al-Omar", "Alomar")),
    ("الإدلبي", ("al-Idlibi", "Idlibi")), ("الجاسم", ("al-Jassem", "Aljasem")),
    ("حمود", ("Hammoud", "Hamoud")), ("الكردي", ("al-Kurdi", "Kurdi")),
    ("النجار", ("al-Najjar", "Najjar")), ("الحداد", ("al-Haddad", "Haddad")),
    ("السيد", ("al-Sayed", "Alsayed")), ("قاسم", ("Kassem", "Qasim")),
    ("درويش", ("Darwish", "Darweesh")), ("عثمان", ("Othman", "Uthman")),
    ("البكري", ("al-Bakri", "Albakri")), ("الحمدان", ("al-Hamdan", "Hamdan")),
    ("الحسين", ("al-Hussein", "Alhussein")), ("الخليل", ("al-Khalil", "Khalil")),
    ("الشامي", ("al-Shami", "Shami")), ("الصالح", ("al-Saleh", "Alsaleh")),
    ("اليوسف", ("al-Youssef", "Alyousef")), ("بكور", ("Bakkour", "Bakour")),
    ("الأسعد", ("al-Asaad", "Alasaad")), ("البيطار", ("al-Bitar", "Bitar")),
    ("الجندي", ("al-Jundi", "Jundi")), ("الحموي", ("al-Hamawi", "Hamawi")),
    ("الحمصي", ("al-Homsi", "Homsi")), ("الرفاعي", ("al-Rifai", "Rifai")),
    ("الزعبي", ("al-Zoubi", "Zoubi")), ("السقا", ("al-Saqqa", "Sakka")),
    ("الشهابي", ("al-Shihabi", "Shehabi")), ("الطحان", ("al-Tahhan", "Tahhan")),
    ("الفارس", ("al-Fares", "Alfares")),
    ("القباني", ("al-Qabbani", "Kabbani")), ("الكيالي", ("al-Kayyali", "Kayali")),
    ("المحمد", ("al-Mohammad", "Almohammad")), ("الهاشمي", ("al-Hashimi", "Hashemi")),
    ("بيرقدار", ("Bayraqdar", "Bairakdar")), ("حجازي", ("Hijazi", "Hegazi")),
    ("خياط", ("Khayyat", "Khayat")), ("دباغ", ("Dabbagh", "Debbagh")),
    ("زيدان", ("Zaidan", "Zeidan")), ("سلامة", ("Salameh", "Salama")),
    ("شعبان", ("Shaaban", "Chaaban")), ("صباغ", ("Sabbagh",)), ("طرابيشي", ("Tarabishi",)),
    ("عبود", ("Abboud", "Aboud")), ("عساف", ("Assaf",)), ("عطار", ("Attar", "Al Attar")),
    ("غنام", ("Ghannam",)), ("فاخوري", ("Fakhouri", "Fakhoury")),
    ("قدور", ("Kaddour", "Qaddour")), ("كنعان", ("Kanaan", "Canaan")), ("مارديني", ("Mardini",)),
    ("مرعشلي", ("Marashli", "Maraashli")), ("ملا", ("Mulla", "Molla")),
    ("نحاس", ("Nahhas", "Nahas")), ("هلال", ("Hilal", "Helal")), ("يونس", ("Younes", "Yunus")),
    ("الأتاسي", ("al-Atassi", "Atassi")), ("الحريري", ("al-Hariri", "Hariri")),
    ("الدروبي", ("al-Droubi", "Droubi")), ("السباعي", ("al-Sibai", "Sibai")),
    ("الشعار", ("al-Shaar", "Shaar")), ("القاضي", ("al-Qadi", "Kadi")),
    ("المصطفى", ("al-Mustafa", "Almustafa")), ("النابلسي", ("al-Nabulsi", "Nabulsi")),
    ("جلبي", ("Jalabi",)), ("حافظ", ("Hafez", "Hafiz")), ("حلاق", ("Hallak", "Hallaq")),
    ("زين", ("Zein", "Zain")), ("سراج", ("Sarraj",)), ("شيخاني", ("Shaikhani", "Sheikhani")),
    ("مكي", ("Makki", "Mekki")), ("ناصر", ("Nasser", "Nasir")), ("وتار", ("Wattar", "Watar")),
)
# Household sizes 1..12, mean about 4.7 (about 7,400 households for 35,000 people).
SIZE_WEIGHTS = (8, 12, 14, 16, 16, 12, 9, 5, 3.5, 2.5, 1, 1)
WRISTBAND = "ACDEFHJKMNPRTWXY34679"  # no look-alike characters

# Share of all households registered each day: (day, from hour, to hour, share, share
# at al-Amiriyah). ~15,000 waited in Sukkari square on 18 Dec.
REGISTRATION = (
    (15, 4.5, 20, 0.40, 0.75), (16, 6, 18, 0.10, 0.6), (17, 8, 17, 0.07, 0.5),
    (18, 7, 18, 0.10, 0.2), (19, 6, 20, 0.13, 0.5), (20, 6, 20, 0.12, 0.5),
    (21, 6, 13, 0.08, 0.5),
)
# Share of evacuees leaving on the days convoys ran freely; 22 Dec takes the rest.
LEAVING = {15: 0.22, 16: 0.05, 19: 0.25, 20: 0.22}

WAITING, ABOARD, GONE = "waiting", "aboard", "gone"


def at(day: int, hour: float, minute: int = 0) -> int:
    """Seconds after 15 Dec 2016 00:00 Syrian time."""
    return (day - 15) * DAY + round(hour * HOUR) + minute * MINUTE


@dataclass(frozen=True, slots=True)
class _Post:
    """A device in the field and the account using it; its clock's offset."""

    device_id: str
    author: str
    tz: timezone


COORDINATOR = _Post("icrc-ops-laptop", "icrc-coordinator", UTC)


def _registrar(gp: str, n: int) -> _Post:
    return _Post(f"sarc-tablet-{gp}-{n}", f"sarc-registrar-{gp}-{n}", SYRIA)


def _monitor(place: str) -> _Post:
    return _Post(f"monitor-{place}", f"icrc-monitor-{place}", UTC)


def _reception(place: str) -> _Post:
    return _Post(f"reception-{place}", f"sarc-reception-{place}", SYRIA)


@dataclass(slots=True)
class _Household:
    household_id: str
    gathering_point: str
    destination: str
    members: list[tuple[str, str, int]]  # (person_id, sex, age) of those leaving
    priority: int  # lower boards first
    registered: int
    available: int = 0  # when they can board (again)
    state: str = WAITING


@dataclass(slots=True)
class _Vehicle:
    vehicle_id: str
    kind: str
    capacity: int
    free_at: float = 0  # math.inf while in a convoy, and for a private car once used


@dataclass(slots=True)
class _Trip:
    convoy_id: str
    route: _Route
    vehicles: list[_Vehicle]
    loads: list[list[_Household]]
    aboard: list[list[str]]  # who is physically on each vehicle
    boarded_by: int


@dataclass(frozen=True, slots=True)
class _Removal:
    vehicle: int  # index in the trip
    checkpoint: str
    person_id: str
    reason: str
    removed_by: str
    note: str
    after_count: bool = False  # recorded after the headcount: an alert opens, then resolves


class _Evacuation:
    """The operation told in events, each stamped with its device time."""

    def __init__(self, rng: random.Random, people: int) -> None:
        self.rng = rng
        self.people = people
        self.scale = people / FULL_SCALE
        self.events: list[tuple[int, int, str, dict[str, Any], _Post]] = []
        self.queues: dict[tuple[str, str], list[_Household]] = {
            (r.origin, r.destination): [] for r in ROUTES}
        self.fleet: dict[str, list[_Vehicle]] = {}
        self.convoys = 0
        self.incidents = 0
        self.movers = 0
        self.family_numbers = 0
        self.wristbands: set[str] = set()
        self.lineages: set[tuple[str, ...]] = set()  # (head, his father, family), in Arabic
        # The tracing desk's planted cases: who each request seeks, who was registered
        # twice (first record, second), and the sought person who never arrived.
        self.sought: dict[str, str] = {}
        self.registered_again: list[tuple[str, str]] = []
        self.unaccounted_sought: str | None = None
        # Fewer people, fewer and smaller convoys: fewer vehicles make a convoy worth
        # sending, and convoys run less often so that loads build up.
        self.smallest = min(5, max(1, people // 5000))
        self.spacing = min(4.0, max(1.0, 0.5 / self.scale))

    def emit(self, t: int, kind: str, payload: dict[str, Any], post: _Post) -> None:
        self.events.append((t, len(self.events), kind, payload, post))

    def scaled(self, full: int, minimum: int) -> int:
        return max(minimum, round(full * self.scale))

    def run(self) -> None:
        self.open(at(15, 4))
        families = self.households()
        self.register(families)
        self.day_15()
        self.day_16()
        self.days_17_18()
        self.day_19()
        self.day_20()
        self.day_21()
        self.day_22()
        self.registered_twice(families)
        self.families_asking(families)

    # --- setting up ----------------------------------------------------------------------

    def open(self, t: int) -> None:
        self.emit(t, "OperationOpened", {
            "name": "East Aleppo evacuation (illustrative)",
            "description": (
                "ILLUSTRATIVE DEMO, not a record of real events. Every person in it is "
                "generated: names are synthesised from common given and family names. "
                "Modelled on public reporting of the evacuation of east Aleppo, 15-22 "
                "December 2016 (OCHA, WHO, ICRC, Reuters); figures and times are "
                f"approximate and scaled to {self.people:,} people."),
            "illustrative": True}, COORDINATOR)
        for step, (party_id, name, kind, description) in enumerate(PARTIES, 1):
            self.emit(t + step, "PartyRegistered", {
                "party_id": party_id, "name": name, "kind": kind, "description": description},
                COORDINATOR)
        for step, (location_id, kind, name, lat, lon, held_by) in enumerate(LOCATIONS, 20):
            self.emit(t + step, "LocationAdded", {
                "location_id": location_id, "kind": kind, "name": name, "latitude": lat,
                "longitude": lon, "held_by": held_by}, COORDINATOR)
        for step, route in enumerate([*ROUTES, *MEDICAL.values()], 40):
            self.emit(t + step, "RouteDefined", {
                "route_id": route.route_id, "name": route.name, "origin_id": route.origin,
                "checkpoint_ids": list(CHECKPOINTS), "destination_id": route.destination},
                COORDINATOR)
        self.register_fleet(t + 60)

    def register_fleet(self, t: int) -> None:
        """OCHA citing ICRC: 308 buses and 61 ambulances (here scaled), plus private cars."""
        buses = [_Vehicle(f"bus-{n:03d}", "bus", self.rng.choice((50, 55, 55, 60)))
                 for n in range(1, self.scaled(308, 14) + 1)]
        ambulances = [_Vehicle(f"amb-{n:02d}", "ambulance", 4)
                      for n in range(1, self.scaled(61, 6) + 1)]
        cars = [_Vehicle(f"car-{n:03d}", "private_car", 5)
                for n in range(1, self.scaled(120, 6) + 1)]
        self.fleet = {"bus": buses, "ambulance": ambulances, "private_car": cars}
        for step, vehicle in enumerate([*buses, *ambulances, *cars]):
            number = vehicle.vehicle_id.split("-")[1]
            if vehicle.kind == "private_car":
                organisation = None
                label = f"Private car, Aleppo plate {self.rng.randint(10_000, 99_999)}"
            else:
                organisation = "icrc" if step % 3 == 0 else "sarc"
                label = f"{organisation.upper()} {vehicle.kind} {number}"
            self.emit(t + step, "VehicleRegistered", {
                "vehicle_id": vehicle.vehicle_id, "kind": vehicle.kind, "label": label,
                "capacity": vehicle.capacity, "organisation_id": organisation}, COORDINATOR)

    # --- registration -------------------------------------------------------------------

    def households(self) -> list[list[dict[str, Any]]]:
        """Every household's members as PersonDetails payloads (destination set later)."""
        sizes: list[int] = []
        while (left := self.people - sum(sizes)) > 0:
            sizes.append(min(left, self.rng.choices(range(1, 13), SIZE_WEIGHTS)[0]))
        singles = [i for i, size in enumerate(sizes) if size == 1]
        larger = [i for i, size in enumerate(sizes) if size >= 3]
        alone = set(self.rng.sample(singles, min(len(singles), max(2, self.people // 6000))))
        separated = set(self.rng.sample(larger, max(2, self.people // 4000)))
        families, person = [], 0
        for index, size in enumerate(sizes):
            family = self.family(size, index in alone, index in separated, person)
            person += size
            families.append(family)
        return families

    def name(self, sex: str, arabic: bool) -> str:
        table = MALE_NAMES if sex == "male" else FEMALE_NAMES
        script, latin, _ = self.rng.choices(table, [w for *_, w in table])[0]
        return script if arabic else self.rng.choice(latin)

    def family(self, size: int, alone: bool, separated: bool, first: int) -> list[dict[str, Any]]:
        """A household sharing a family name, in one script: head, spouse, children and
        perhaps a grandparent; `separated`: its youngest is a relative's child."""
        arabic = self.rng.random() < 0.5
        people = self.relatives(size, alone)
        grandfather_lives_here = any(role == "grandparent" and sex == "male"
                                     for role, sex, _ in people)
        # Two families whose heads share a name, a father's name and a family name are
        # rare enough in one operation to leave out: their children would be namesakes
        # on every field a registrar writes, which only a visit to the tent settles.
        while True:
            script, latin = self.rng.choice(FAMILY_NAMES)
            family_name = script if arabic else self.rng.choice(latin)
            head = self.name(people[0][1], arabic)
            head_father = self.name("male", arabic)
            lineage = tuple(_in_arabic(name) for name in (head, head_father, family_name))
            if lineage not in self.lineages:
                self.lineages.add(lineage)
                break
        grandfather = head_father if grandfather_lives_here else None
        members = []
        for n, (role, sex, age) in enumerate(people):
            lost = separated and n == size - 1
            given, father = self.parentage(role, sex, head, head_father, grandfather, arabic,
                                           lost)
            needs = self.needs(sex, age)
            if alone:
                needs.append(Need.UNACCOMPANIED_CHILD)
            if lost:
                needs.append(Need.SEPARATED_CHILD)
            members.append(self.details(f"p-{first + n + 1:06d}", given, father, family_name,
                                        sex, age, needs))
        return members

    def parentage(self, role: str, sex: str, head: str, head_father: str,
                  grandfather: str | None, arabic: bool, lost: bool) -> tuple[str, str]:
        """(given_name, father_name): the head carries his father's name, children the
        head's name and his father's ("Mazen Ahmad"), as Syrian registers write it."""
        if role == "head":
            return head, head_father
        if role == "child" and not lost:
            return self.name(sex, arabic), f"{head} {head_father}"
        if role == "grandparent" and grandfather and sex == "male":
            return grandfather, self.name("male", arabic)
        return self.name(sex, arabic), self.name("male", arabic)

    def details(self, person_id: str, given: str, father: str, family_name: str, sex: str,
                age: int, needs: list[Need]) -> dict[str, Any]:
        member: dict[str, Any] = {"person_id": person_id, "given_name": given,
                                  "father_name": father, "family_name": family_name, "sex": sex}
        if self.rng.random() < 0.15:  # only an approximate age is known
            member["age"] = age if age < 20 else 5 * round(age / 5)
        else:
            member["birth_year"] = 2016 - age
        if needs:
            member["needs"] = [str(need) for need in needs]
        member["consent"] = self.rng.random() < 0.97
        return member

    def relatives(self, size: int, alone: bool) -> list[tuple[str, str, int]]:
        """(role, sex, age) of each member, the head first."""
        rng = self.rng
        if alone:
            return [("head", rng.choice(("male", "female")), rng.randint(9, 16))]
        if size == 1:
            return [("head", rng.choice(("male", "male", "female")),
                     rng.choice((rng.randint(18, 60), rng.randint(60, 90))))]
        spouse = rng.random() < 0.9
        grandparent = size - 1 - spouse >= 3 and rng.random() < 0.4
        children = size - 1 - spouse - grandparent
        # Parents old enough for their children: about two years between births.
        head_age = rng.randint(min(55, 20 + 2 * children), 62)
        people = [("head", "male", head_age)]
        mother_age = head_age
        if spouse:
            mother_age = max(18 + 2 * children, head_age - rng.randint(0, 10))
            people.append(("spouse", "female", mother_age))
        if grandparent:
            people.append(("grandparent", rng.choice(("male", "female")), rng.randint(65, 88)))
        oldest_child = max(0, min(mother_age - 17, 25))
        ages = sorted((rng.randint(0, oldest_child) for _ in range(children)), reverse=True)
        return people + [("child", rng.choice(("male", "female")), age) for age in ages]

    def needs(self, sex: str, age: int) -> list[Need]:
        rng = self.rng
        needs = []
        roll = rng.random()
        if roll < 0.01:
            needs.append(Need.WOUNDED)
        elif roll < 0.03:
            needs.append(Need.MEDICAL)
        if age >= 65 and rng.random() < 0.8:
            needs.append(Need.ELDERLY)
        if rng.random() < 0.012:
            needs.append(Need.DISABILITY)
        if sex == "female" and 18 <= age <= 42 and rng.random() < 0.07:
            needs.append(Need.PREGNANT)
        return needs

    def register(self, families: list[list[dict[str, Any]]]) -> None:
        """Register every household on its day, at one of the gathering points; the last
        few hundred people, bound for Idlib, register late on 22 Dec."""
        late, late_people = len(families), 0
        while late_people < min(190, self.people * 0.03):
            late -= 1
            late_people += len(families[late])
        schedule: list[tuple[int, str]] = []
        done = 0
        for n, (day, begin, end, share, amiriyah) in enumerate(REGISTRATION):
            until = late if n == len(REGISTRATION) - 1 else min(late, done + round(share * late))
            step = (end - begin) * HOUR / max(1, until - done)
            for k in range(until - done):
                gp = "amiriyah" if self.rng.random() < amiriyah else "sukkari"
                schedule.append((at(day, begin) + round((k + 0.9 * self.rng.random()) * step), gp))
            done = until
        step = 2 * HOUR / (len(families) - late)
        schedule += [(at(22, 17) + round(k * step), "amiriyah")
                     for k in range(len(families) - late)]
        for index, (members, (t, gp)) in enumerate(zip(families, schedule, strict=True)):
            destination = "idlib" if index >= late else self.rng.choices(
                RECEPTIONS, DESTINATION_WEIGHTS)[0]
            self.register_household(index, members, t, gp, destination)

    def token(self, gp: str) -> str:
        """al-Amiriyah hands out family numbers, Sukkari square wristbands."""
        if gp == "amiriyah":
            self.family_numbers += 1
            return f"F-{self.family_numbers:05d}"
        while (code := "WB-" + "".join(self.rng.choices(WRISTBAND, k=6))) in self.wristbands:
            pass
        self.wristbands.add(code)
        return code

    def register_household(self, index: int, members: list[dict[str, Any]], t: int, gp: str,
                           destination: str) -> None:
        for member in members:
            member["destination_id"] = destination
        household_id = f"h-{index + 1:05d}"
        post = _registrar(gp, index % 4 + 1)
        self.emit(t, "HouseholdRegistered", {
            "household_id": household_id, "gathering_point_id": gp,
            "token": self.token(gp), "members": members}, post)
        staying = self.staying(members)
        note = "chose to stay in east Aleppo" if len(staying) == len(members) else \
            "chose to stay; the rest of the household leaves"
        for n, member in enumerate(staying):
            self.emit(t + 120 + n, "PersonStayed", {"person_id": member["person_id"],
                                                    "note": note}, post)
        leaving = [m for m in members if not any(m is s for s in staying)]
        if not leaving:
            return
        ages = [m.get("age", 2016 - m.get("birth_year", 2016)) for m in leaving]
        household = _Household(
            household_id, gp, destination,
            [(m["person_id"], m["sex"], age) for m, age in zip(leaving, ages, strict=True)],
            min((NEED_PRIORITY[Need(n)] for m in leaving for n in m.get("needs", ())),
                default=NO_NEED_PRIORITY),
            t, available=t + 20 * MINUTE)
        self.movers += len(leaving)
        self.queues[(gp, destination)].append(household)

    def staying(self, members: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """About 1% stay: a few whole households, and some elderly people whose family leaves."""
        needs = [m.get("needs", []) for m in members]
        if any(Need.UNACCOMPANIED_CHILD in n or Need.SEPARATED_CHILD in n for n in needs):
            return []
        if self.rng.random() < 0.007:
            return members
        return [m for m, n in zip(members, needs, strict=True)
                if len(members) > 1 and Need.ELDERLY in n and self.rng.random() < 0.1]

    # --- forming convoys and boarding ----------------------------------------------------

    def waiting(self, route: _Route, t: int) -> list[_Household]:
        """Households that can board for this route at t, in boarding order. An
        ambulance run to hospital takes the wounded and sick of every destination."""
        if route.destination == HOSPITAL:
            queue = [h for dest in RECEPTIONS for h in self.queues[(route.origin, dest)]
                     if h.priority <= NEED_PRIORITY[Need.MEDICAL]]
        else:
            queue = self.queues[(route.origin, route.destination)]
        ready = [h for h in queue if h.state == WAITING and h.available <= t]
        ready.sort(key=lambda h: (h.priority, h.registered, h.household_id))
        return ready

    def busiest(self, t: int, origin: str | None = None) -> _Route | None:
        counts = [(sum(len(h.members) for h in self.waiting(r, t)), -n, r)
                  for n, r in enumerate(ROUTES) if origin in (None, r.origin)]
        people, _, route = max(counts)
        return route if people else None

    def free(self, kind: str, t: int, wanted: int) -> list[_Vehicle]:
        """The longest-idle vehicles of a kind that are back and free at t."""
        ready = [v for v in self.fleet[kind] if v.free_at <= t]
        ready.sort(key=lambda v: v.free_at)
        return ready[:wanted]

    @staticmethod
    def fill(queue: list[_Household], capacity: int, taken: set[str],
             one_household: bool) -> list[_Household]:
        """Whole households in queue order; one too big for the seats left waits."""
        seats, chosen = capacity, list[_Household]()
        for household in queue:
            if seats == 0 or (one_household and chosen):
                break
            if household.household_id not in taken and len(household.members) <= seats:
                chosen.append(household)
                taken.add(household.household_id)
                seats -= len(household.members)
        return chosen

    def form(self, planned: int, boarding: int, route: _Route, buses: int = 0,
             ambulances: int = 0, cars: int = 0) -> _Trip | None:
        """Plan a convoy of the free vehicles that will carry someone, and board them."""
        queue = self.waiting(route, boarding)
        vehicles = (self.free("ambulance", planned, ambulances) + self.free("bus", planned, buses)
                    + self.free("private_car", planned, cars))
        taken: set[str] = set()
        loads = [self.fill(queue, v.capacity, taken, v.kind == "private_car") for v in vehicles]
        used = [(v, load) for v, load in zip(vehicles, loads, strict=True) if load]
        if not used:
            return None
        self.convoys += 1
        convoy_id = f"convoy-{self.convoys:02d}"
        day = (START + timedelta(seconds=boarding)).day
        self.emit(planned, "ConvoyPlanned", {
            "convoy_id": convoy_id,
            "label": f"Convoy {self.convoys:02d} · {day} Dec · {route.name}",
            "route_id": route.route_id, "vehicle_ids": [v.vehicle_id for v, _ in used]},
            COORDINATOR)
        trip = _Trip(convoy_id, route, [v for v, _ in used], [load for _, load in used], [],
                     boarding)
        post = _registrar(route.origin, 1)
        for vehicle, load in used:
            vehicle.free_at = math.inf
            aboard = []
            for k, household in enumerate(load):
                household.state = ABOARD
                for n, (person_id, _, _) in enumerate(household.members):
                    t = boarding + k * 75 + n * 3
                    self.emit(t, "PersonBoarded", {"person_id": person_id,
                                                   "vehicle_id": vehicle.vehicle_id}, post)
                    aboard.append(person_id)
                    trip.boarded_by = max(trip.boarded_by, t)
            trip.aboard.append(aboard)
        return trip

    def story_convoy(self, planned: int, boarding: int, route: _Route | None,
                     buses: int) -> _Trip:
        trip = self.form(planned, boarding, route, buses=buses) if route else None
        if trip is None:
            raise RuntimeError("nobody waiting for a convoy the demo needs: too few people")
        return trip

    # --- convoy events ------------------------------------------------------------------

    def depart(self, trip: _Trip, t: int) -> int:
        t = max(t, trip.boarded_by + 10 * MINUTE)
        self.emit(t, "ConvoyDeparted", {"convoy_id": trip.convoy_id}, COORDINATOR)
        return t

    def hold(self, trip: _Trip, t: int, reason: str, location: str | None = None) -> None:
        self.emit(t, "ConvoyHeld", {"convoy_id": trip.convoy_id, "reason": reason,
                                    "location_id": location or trip.route.origin},
                  _monitor(location) if location else COORDINATOR)

    def release(self, trip: _Trip, t: int, note: str) -> None:
        self.emit(t, "ConvoyReleased", {"convoy_id": trip.convoy_id, "note": note}, COORDINATOR)

    def incident(self, t: int, kind: str, reported_by: str, description: str,
                 trip: _Trip | None = None, location: str | None = None, killed: int = 0,
                 injured: int = 0, vehicle: str | None = None) -> None:
        self.incidents += 1
        occurred = (START + timedelta(seconds=t)).isoformat()
        self.emit(t + 10 * MINUTE, "IncidentReported", {
            "incident_id": f"incident-{self.incidents:02d}", "type": kind,
            "occurred_at": occurred, "location_id": location,
            "convoy_id": trip.convoy_id if trip else None, "vehicle_id": vehicle,
            "killed": killed, "injured": injured, "reported_by": reported_by,
            "description": description}, COORDINATOR)

    def drive(self, trip: _Trip, departed: int, removals: tuple[_Removal, ...] = (),
              vanished: tuple[int, str, str] | None = None) -> int:
        """Headcounts at each checkpoint, arrival and check-in; returns the people who
        left. `vanished` is (vehicle, checkpoint, person) for someone who disappears
        there without any record: counted short, never checked in."""
        destination = trip.route.destination
        arrived_by = departed
        for i, vehicle in enumerate(trip.vehicles):
            aboard = trip.aboard[i]
            stagger = i * 45 + self.rng.randint(0, 40)
            for checkpoint in CHECKPOINTS:
                t = departed + LEG[checkpoint] * MINUTE + stagger
                for removal in removals:
                    if (removal.vehicle, removal.checkpoint) == (i, checkpoint):
                        self.remove(trip, removal, t + (300 if removal.after_count else -120))
                if vanished and vanished[:2] == (i, checkpoint):
                    aboard.remove(vanished[2])
                self.emit(t, "CheckpointPassed", {
                    "vehicle_id": vehicle.vehicle_id, "checkpoint_id": checkpoint,
                    "headcount": len(aboard)}, _monitor(checkpoint))
            t = departed + ARRIVE[destination] * MINUTE + stagger
            arrived_by = max(arrived_by, t)
            self.emit(t, "VehicleArrived", {"vehicle_id": vehicle.vehicle_id,
                                            "location_id": destination}, _reception(destination))
            for k, person_id in enumerate(aboard):
                self.emit(t + 5 * MINUTE + k * 15, "PersonCheckedIn", {
                    "person_id": person_id, "location_id": destination}, _reception(destination))
        for load in trip.loads:
            for household in load:
                household.state = GONE
        self.finish(trip, arrived_by + (ARRIVE[destination] + 45) * MINUTE)
        return sum(len(aboard) for aboard in trip.aboard) + len(removals) + bool(vanished)

    def remove(self, trip: _Trip, removal: _Removal, t: int) -> None:
        trip.aboard[removal.vehicle].remove(removal.person_id)
        for household in trip.loads[removal.vehicle]:
            household.members = [m for m in household.members if m[0] != removal.person_id]
        self.emit(t, "PersonRemoved", {
            "person_id": removal.person_id, "checkpoint_id": removal.checkpoint,
            "vehicle_id": trip.vehicles[removal.vehicle].vehicle_id, "reason": removal.reason,
            "removed_by": removal.removed_by, "note": removal.note}, _monitor(removal.checkpoint))

    def back_to_waiting(self, trip: _Trip, t: int) -> None:
        """Passengers of a convoy that returned or was called off queue again."""
        for load in trip.loads:
            for household in load:
                household.state = WAITING if household.members else GONE
                household.available = t + 30 * MINUTE
        self.finish(trip, t + 30 * MINUTE)

    def finish(self, trip: _Trip, free_at: int) -> None:
        for vehicle in trip.vehicles:
            vehicle.free_at = math.inf if vehicle.kind == "private_car" else free_at

    def man(self, trip: _Trip, vehicle: int, exclude: tuple[str, ...] = ()) -> str:
        """A man of fighting age on the vehicle (any adult if there is none)."""
        aboard = [m for h in trip.loads[vehicle] for m in h.members if m[0] not in exclude]
        men = [m for m in aboard if m[1] == "male" and 16 <= m[2] <= 55]
        chosen = men or [m for m in aboard if m[2] >= 16] or aboard
        if not chosen:
            raise RuntimeError("a convoy the demo needs has too few people on board")
        return chosen[0][0]

    # --- days ------------------------------------------------------------------------------

    def regular(self, start: int, end: int, budget: float, last_day: bool = False) -> int:
        """Convoys every hour or two, each slot taking its part of the day's share of
        evacuees: one convoy per route with a worthwhile load, ambulances first. On
        the last day any load goes and the share is everyone still waiting."""
        smallest = 1 if last_day else self.smallest
        ambulances = 1 if last_day else max(2, self.smallest)
        if last_day:
            budget = sum(len(h.members) for queue in self.queues.values() for h in queue
                         if h.state == WAITING and h.available <= end)
        spacing = 85 * MINUTE * self.spacing
        slots = max(1, round((end - start) / spacing))
        moved, t, slot = 0, start, 0
        while t < end and moved < budget:
            slot += 1
            for gp in GATHERING:
                moved += self.medical(t, gp, ambulances)
            boarding = t + 20 * MINUTE
            loads = sorted(((sum(len(h.members) for h in self.waiting(r, boarding)), -n, r)
                            for n, r in enumerate(ROUTES)), reverse=True)
            for n, (people, _, route) in enumerate(loads):
                if moved >= budget * slot / slots or (people < 30 * smallest and not last_day):
                    continue
                buses = min(self.scaled(self.rng.randint(20, 46), 5), math.ceil(people / 50))
                cars = min(46 - buses, self.rng.randint(0, self.scaled(8, 1)))
                trip = self.form(t + (5 + n) * MINUTE, boarding, route, buses=buses, cars=cars)
                if trip is not None:
                    moved += self.drive(trip, self.depart(trip, t + 15 * MINUTE))
            t += round(self.rng.uniform(0.7, 1.3) * spacing)
        return moved

    def medical(self, t: int, gp: str, smallest: int, wanted: int | None = None) -> int:
        """Ambulances for the wounded and sick (and their households, if small enough)."""
        route = MEDICAL[gp]
        patients = sum(len(h.members) for h in self.waiting(route, t + 15 * MINUTE)
                       if len(h.members) <= 4)
        needed = wanted or math.ceil(patients / 3)
        if needed < smallest:
            return 0
        trip = self.form(t, t + 15 * MINUTE, route, ambulances=needed)
        return self.drive(trip, self.depart(trip, t)) if trip else 0

    def day_15(self) -> None:
        """WHO: the first convoys, 21 buses and 19 ambulances; a militia fired on the first."""
        budget = LEAVING[15] * self.movers
        moved = self.medical(at(15, 9, 30), "amiriyah", 1, self.scaled(19, 3))
        trip = self.story_convoy(at(15, 9, 35), at(15, 9, 50), self.busiest(at(15, 9, 50),
                                 "amiriyah"), self.scaled(21, 2))
        departed = self.depart(trip, at(15, 11))
        self.incident(departed + 25 * MINUTE, "shooting", "ICRC",
                      "Shots fired at the first convoy on the road to Ramouseh (as reported); "
                      "several passengers injured.", trip, "ramouseh", injured=3)
        moved += self.drive(trip, departed)
        self.regular(at(15, 13), at(15, 23), budget - moved)

    def day_16(self) -> None:
        """Overnight convoys, then a convoy sent back from a militia checkpoint; the
        evacuation halts and a boarded convoy is called off in the evening."""
        self.regular(at(16, 0, 30), at(16, 3), LEAVING[16] * self.movers)
        trip = self.story_convoy(at(16, 4, 30), at(16, 4, 45), self.busiest(at(16, 4, 45)),
                                 self.scaled(16, 2))
        departed = self.depart(trip, at(16, 5, 30))
        stopped = departed + 12 * MINUTE
        self.hold(trip, stopped, "Stopped at the militia checkpoint; men taken off the buses "
                  "and searched", "salah-al-din")
        for n in range(3):
            vehicle = n % len(trip.vehicles)
            person_id = self.man(trip, vehicle)
            self.remove(trip, _Removal(vehicle, "salah-al-din", person_id, "detained", MILITIA,
                                       "Taken off the bus at the checkpoint; whereabouts unknown"),
                        stopped + (20 + 15 * n) * MINUTE)
        self.incident(stopped + 60 * MINUTE, "detention", "ICRC",
                      "Convoy of 800-1,000 people stopped at a militia checkpoint; men "
                      "stripped and robbed; 4 killed (as reported); convoy sent back.", trip,
                      "salah-al-din", killed=4)
        self.emit(at(16, 9), "ConvoyTurnedBack", {
            "convoy_id": trip.convoy_id, "location_id": "salah-al-din",
            "reason": "Sent back by the militia holding the checkpoint"}, _monitor("salah-al-din"))
        self.emit(at(16, 10), "ConvoyReturned", {"convoy_id": trip.convoy_id}, COORDINATOR)
        self.back_to_waiting(trip, at(16, 10))

        halted = self.story_convoy(at(16, 10, 30), at(16, 10, 45),
                                   self.busiest(at(16, 10, 45), "sukkari"), self.scaled(10, 2))
        self.hold(halted, halted.boarded_by + 15 * MINUTE,
                  "Evacuation halted: the parties blame each other; Russia declares the "
                  "evacuation completed while thousands still wait")
        self.emit(at(16, 18), "ConvoyAborted", {
            "convoy_id": halted.convoy_id,
            "reason": "Evacuation suspended overnight; passengers back to the gathering point"},
            COORDINATOR)
        self.back_to_waiting(halted, at(16, 18))

    def days_17_18(self) -> None:
        """The pause, a new deal linked to Foua and Kefraya, buses burned, and the first
        5 buses leaving at 23:00 after 10+ hours waiting on board in sub-zero cold."""
        trip = self.story_convoy(at(17, 9), at(18, 12), self.busiest(at(18, 12), "sukkari"),
                                 self.scaled(5, 2))
        self.hold(trip, at(17, 9, 30), "Evacuation suspended pending a new agreement")
        self.release(trip, at(18, 11, 30), "New agreement links east Aleppo to Foua and Kefraya")
        self.hold(trip, max(at(18, 12, 45), trip.boarded_by + 5 * MINUTE),
                  "Passengers held on board until the buses reach Foua and Kefraya")
        self.incident(at(18, 14), "other", "ICRC",
                      "Buses sent to evacuate Foua and Kefraya burned (5-7 reported); "
                      "movement from east Aleppo stalls.")
        self.incident(at(18, 20), "weather", "WHO",
                      "Sub-zero cold; people held on the buses for 10+ hours; 18 infants "
                      "without milk (as reported).", trip, trip.route.origin)
        self.release(trip, at(18, 22, 45), "Foua and Kefraya movement agreed to start")
        self.drive(trip, self.depart(trip, at(18, 23)))

    def day_19(self) -> None:
        """Resumed under UNSC resolution 2328 with UN monitors at Ramouseh; a 46-bus
        convoy reaches al-Rashideen. Two men detained at the militia checkpoint."""
        self.emit(at(19, 8), "PartyRegistered", dict(zip(
            ("party_id", "name", "kind", "description"), UN_MONITORS, strict=True)),
            COORDINATOR)
        trip = self.story_convoy(at(19, 8, 30), at(19, 8, 45), self.busiest(at(19, 8, 45)),
                                 self.scaled(46, 3))
        first = self.man(trip, 0)
        removals = tuple(_Removal(0, "salah-al-din", person_id, "detained", MILITIA,
                                  "Separated from his family at the checkpoint", after)
                         for person_id, after in ((first, False),
                                                  (self.man(trip, 0, (first,)), True)))
        moved = self.drive(trip, self.depart(trip, at(19, 10)), removals)
        self.regular(at(19, 11), at(19, 23), LEAVING[19] * self.movers - moved)

    def day_20(self) -> None:
        """A medical removal, and one bus where the count does not add up: two fewer
        at al-Rashideen but only one removal recorded, and one person never checked in."""
        trip = self.story_convoy(at(20, 5, 30), at(20, 5, 45), self.busiest(at(20, 5, 45)),
                                 self.scaled(20, 2))
        # The unexplained gap is on another bus, if one has a few people on it.
        others = [i for i in range(1, len(trip.vehicles)) if len(trip.aboard[i]) >= 3]
        odd = others[0] if others else 0
        sick = self.man(trip, 0)
        taken = self.man(trip, odd, (sick,))
        gone = self.man(trip, odd, (sick, taken))
        removals = (
            _Removal(0, "ramouseh", sick, "medical", "SARC",
                     "Collapsed on the bus; taken to a field hospital by SARC"),
            _Removal(odd, "rashideen", taken, "medical", "SARC", "Taken off for treatment"),
        )
        departed = self.depart(trip, at(20, 6, 30))
        self.incident(departed + 25 * MINUTE, "medical", "WHO",
                      "Passenger collapsed on the way; taken off at Ramouseh for treatment.",
                      trip, "ramouseh", vehicle=trip.vehicles[0].vehicle_id)
        moved = self.drive(trip, departed, removals, (odd, "rashideen", gone))
        self.regular(at(20, 8), at(20, 23), LEAVING[20] * self.movers - moved)

    def day_21(self) -> None:
        """~24 h delay with 60 buses waiting; people board in the afternoon, the
        convoys leave the next morning."""
        trips: list[_Trip] = []
        buses = self.scaled(60, 3)
        while buses > 0 and (route := self.busiest(at(21, 14) + len(trips) * 20 * MINUTE)):
            n = len(trips)
            trip = self.story_convoy(at(21, 5) + n * 10 * MINUTE, at(21, 14) + n * 20 * MINUTE,
                                     route, min(46, buses))
            self.hold(trip, at(21, 6) + n * MINUTE,
                      "Delay: waiting for the agreed evacuation of Foua and Kefraya")
            buses -= len(trip.vehicles)
            trips.append(trip)
        self.incident(at(21, 12), "blockage", "UN monitors",
                      f"About 24 h delay; {sum(len(t.vehicles) for t in trips)} buses waiting "
                      "at the gathering points.", trips[0], "ramouseh")
        for n, trip in enumerate(trips):
            self.release(trip, at(22, 5, 30) + n * MINUTE, "Movement from Foua and Kefraya started")
            self.drive(trip, self.depart(trip, at(22, 6) + n * 15 * MINUTE))

    def day_22(self) -> None:
        """Everyone left waiting goes; the last 4 buses leave Ramouseh at 20:25."""
        self.regular(at(22, 8), at(22, 16, 30), math.inf, last_day=True)
        route = next(r for r in ROUTES if (r.origin, r.destination) == ("amiriyah", "idlib"))
        people = sum(len(h.members) for h in self.waiting(route, at(22, 19, 25)))
        trip = self.story_convoy(at(22, 19), at(22, 19, 25), route,
                                 min(4, math.ceil(people / 50)))
        self.drive(trip, self.depart(trip, at(22, 20, 25) - LEG["ramouseh"] * MINUTE))

    # --- the tracing desk's work: people registered twice, families asking -----------------

    def registered_twice(self, families: list[list[dict[str, Any]]]) -> None:
        """A few families registered at al-Amiriyah queue again hours later at Sukkari
        square and are registered a second time, on another tablet, in the other script,
        sometimes without a father's name or a year off. The second records never board:
        they wait until the duplicate queue shows them and a reviewer merges them."""
        registered = self._registrations()
        at_amiriyah = [members for members in families
                       if registered[members[0]["person_id"]][1] == "amiriyah"
                       and 2 <= len(members) <= 4]
        number = self.people
        for n, members in enumerate(self.rng.sample(at_amiriyah, twice(self.people))):
            again = []
            for member in members:
                number += 1
                given, father, family_name = (_other_script(member[name], self.rng) for name in
                                              ("given_name", "father_name", "family_name"))
                copy = self.details(f"p-{number:06d}", given, father, family_name,
                                    member["sex"],
                                    member.get("age", 2016 - member.get("birth_year", 2016)), [])
                if self.rng.random() < 0.3:
                    copy["father_name"] = None
                if "birth_year" in copy and self.rng.random() < 0.4:
                    copy["birth_year"] += self.rng.choice((-1, 1))
                copy.update(consent=True, destination_id=member["destination_id"])
                self.registered_again.append((member["person_id"], copy["person_id"]))
                again.append(copy)
            t = registered[members[0]["person_id"]][0] + self.rng.randint(2, 10) * HOUR
            self.emit(t, "HouseholdRegistered", {
                "household_id": f"h-{len(families) + n + 1:05d}", "gathering_point_id": "sukkari",
                "token": self.token("sukkari"), "members": again},
                _registrar("sukkari", n % 4 + 1))

    def families_asking(self, families: list[list[dict[str, Any]]]) -> None:
        """Relatives file tracing requests at a reception centre, describing the person
        as they would (the other script, an approximate year, perhaps the father's
        name): separated children and others who are checked in later, so each request
        has news once they arrive; and someone who was on a bus and never arrived."""
        checked_in = {e[3]["person_id"]: (e[0], e[3]["location_id"]) for e in self.events
                      if e[2] == "PersonCheckedIn"}
        boarded = {e[3]["person_id"] for e in self.events if e[2] == "PersonBoarded"}
        removed = {e[3]["person_id"] for e in self.events if e[2] == "PersonRemoved"}
        people = [m for members in families for m in members]
        arriving = [m for m in people if checked_in.get(m["person_id"], (0,))[0] > at(15, 18)]
        separated = [m for m in arriving if "separated_child" in m.get("needs", ())][:2]
        others = self.rng.sample([m for m in arriving if m not in separated],
                                 asking(self.people) - len(separated))
        never_arrived = boarded - removed - checked_in.keys()
        missing = [m for m in people if m["person_id"] in never_arrived]
        sought = [*separated, *others]
        for n, member in enumerate(sought):
            arrived, place = checked_in[member["person_id"]]
            filed = self.rng.randint(at(15, 16), arrived - HOUR)
            self.request(f"tr-{n + 1:03d}", member, place, filed,
                         "lost in the crowd at the gathering point")
        for member in missing[:1]:
            self.request(f"tr-{len(sought) + 1:03d}", member, member["destination_id"],
                         at(22, 22), "boarded a bus; not seen at reception since")
            self.unaccounted_sought = member["person_id"]

    def request(self, request_id: str, member: dict[str, Any], place: str, t: int,
                note: str) -> None:
        rng = self.rng
        arabic = rng.random() < 0.5
        write = (lambda name: _other_script(name, rng)) if arabic != _is_arabic(
            member["given_name"]) else (lambda name: name)
        born = member.get("birth_year", 2016 - member.get("age", 0))
        relationship = rng.choice(("mother", "father", "aunt", "grandmother") if born > 1998
                                  else ("brother", "sister", "cousin", "wife" if
                                        member["sex"] == "male" else "husband"))
        sought = {"name": f"{write(member['given_name'])} {write(member['family_name'])}",
                  "sex": member["sex"], "born": born + rng.choice((0, 0, 1, -1)), "tolerance": 2}
        if rng.random() < 0.5:
            sought["father_name"] = write(member["father_name"])
        woman = relationship in ("mother", "aunt", "grandmother", "sister", "wife")
        requester = f"{self.name('female' if woman else 'male', arabic)} " \
            f"{write(member['family_name'])}"
        self.sought[request_id] = member["person_id"]
        self.emit(t, "TracingRequestFiled", {
            "request_id": request_id, "sought": sought, "requester_name": requester,
            "relationship": relationship, "consent": True, "note": note,
            "contact": f"at the {PLACE[place]} tracing desk, asks every morning"},
            _reception(place))

    def _registrations(self) -> dict[str, tuple[int, str]]:
        """When and where each person was registered."""
        return {m["person_id"]: (e[0], e[3]["gathering_point_id"]) for e in self.events
                if e[2] == "HouseholdRegistered" for m in e[3]["members"]}


def twice(people: int) -> int:
    """How many households the demo registers a second time."""
    return max(2, people // 10_000)


def asking(people: int) -> int:
    """How many tracing requests for people who arrive the demo files."""
    return max(3, people // 7_000)


# Each demo name in the other script: the tables above give both.
_SPELLINGS: dict[str, tuple[str, ...]] = {
    arabic: latin for arabic, latin, *_ in (*MALE_NAMES, *FEMALE_NAMES, *FAMILY_NAMES)}
_ARABIC = {spelling: arabic for arabic, latin in _SPELLINGS.items() for spelling in latin}


def _is_arabic(name: str) -> bool:
    return name in _SPELLINGS


def _in_arabic(name: str) -> str:
    return name if name in _SPELLINGS else _ARABIC[name]


def _other_script(name: str, rng: random.Random) -> str:
    """One demo name, or a father's name followed by his father's, in the other script."""
    if name in _SPELLINGS:
        return rng.choice(_SPELLINGS[name])
    if name in _ARABIC:
        return _ARABIC[name]
    for at in (n for n, c in enumerate(name) if c == " "):
        first, second = name[:at], name[at + 1:]
        if (first in _SPELLINGS or first in _ARABIC) and (
                second in _SPELLINGS or second in _ARABIC):
            return f"{_other_script(first, rng)} {_other_script(second, rng)}"
    raise KeyError(name)


def _clock(t: int, tz: timezone) -> str:
    return (START + timedelta(seconds=t)).astimezone(tz).isoformat()


def generate(seed: int = 2016, people: int = 35_000) -> Iterator[dict[str, Any]]:
    """Yield events as the push API takes them: {"id": uuid-str, "type": str, "payload":
    dict, "device_id": str, "author": str, "recorded_at": ISO-8601 with +00:00 or
    +02:00 offset}, in device-clock order."""
    if people < MIN_PEOPLE:
        raise ValueError(f"the demo needs at least {MIN_PEOPLE} people")
    story = _Evacuation(random.Random(seed), people)
    story.run()
    story.events.sort(key=lambda event: event[:2])
    for counter, (t, _, kind, payload, post) in enumerate(story.events):
        yield {"id": str(uuid.uuid5(NAMESPACE, f"{seed}:{counter}")), "type": kind,
               "payload": payload, "device_id": post.device_id, "author": post.author,
               "recorded_at": _clock(t, post.tz)}


def load(ledger: Ledger, seed: int = 2016, people: int = 35_000,
         progress: Callable[[int], None] | None = None) -> int:
    """Push generate() into the ledger in batches of 1000 as the demo coordinator,
    then write the projections; return the number of events accepted. `progress`
    gets each batch's size. A rejected event is a bug in this generator: RuntimeError."""
    events = generate(seed, people)
    accepted = 0
    while batch := list(islice(events, MAX_BATCH)):
        result = ledger.push(batch, PRINCIPAL)
        for receipt in result.receipts:
            if receipt.status == "rejected":
                raise RuntimeError(f"demo event {receipt.id} was rejected: {receipt.reason}")
            accepted += receipt.status == "accepted"
        if progress:
            progress(len(batch))
    ledger.ensure_projected()
    return accepted
