"""Who registers: households and the people in them, with synthesised names.

NOBODY IN IT IS REAL. Names combine common Arabic given and family names (about 60
men's, 45 women's and 80 family names), written in Arabic script or in one of several
Latin transliterations; ages, needs and households are drawn at random. A household
shares a family name and one script, and its children carry the head's name and his
father's, as Syrian registers write them. Each household registers on its day at one
gathering point (the shares in `scenario.REGISTRATION`); those who leave then wait
for a convoy to their chosen reception centre.
"""

from __future__ import annotations

import random
from typing import Any

from corridor.demo.convoys import Household
from corridor.demo.scenario import (
    DESTINATION_WEIGHTS,
    HOUR,
    MINUTE,
    RECEPTIONS,
    REGISTRATION,
    Operation,
    at,
    registrar,
)
from corridor.domain.vocabulary import NEED_PRIORITY, NO_NEED_PRIORITY, Need

# --- synthesised names ---------------------------------------------------------------
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


class Population:
    """The households of the operation: drawn, named and registered."""

    def __init__(self, op: Operation) -> None:
        self.op = op
        self.rng = op.rng
        self.family_numbers = 0
        self.wristbands: set[str] = set()
        self.lineages: set[tuple[str, ...]] = set()  # (head, his father, family), in Arabic

    def households(self) -> list[list[dict[str, Any]]]:
        """Every household's members as PersonDetails payloads (destination set later)."""
        people = self.op.people
        sizes: list[int] = []
        while (left := people - sum(sizes)) > 0:
            sizes.append(min(left, self.rng.choices(range(1, 13), SIZE_WEIGHTS)[0]))
        singles = [i for i, size in enumerate(sizes) if size == 1]
        larger = [i for i, size in enumerate(sizes) if size >= 3]
        alone = set(self.rng.sample(singles, min(len(singles), max(2, people // 6000))))
        separated = set(self.rng.sample(larger, max(2, people // 4000)))
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

    # --- registration -------------------------------------------------------------------

    def register(self, families: list[list[dict[str, Any]]]) -> list[Household]:
        """Register every household on its day, at one of the gathering points; the last
        few hundred people, bound for Idlib, register late on 22 Dec. Returns those who
        leave, household by household in the order they registered."""
        late, late_people = len(families), 0
        while late_people < min(190, self.op.people * 0.03):
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
        leaving = []
        for index, (members, (t, gp)) in enumerate(zip(families, schedule, strict=True)):
            destination = "idlib" if index >= late else self.rng.choices(
                RECEPTIONS, DESTINATION_WEIGHTS)[0]
            if household := self.register_household(index, members, t, gp, destination):
                leaving.append(household)
        return leaving

    def latecomers(self, gp: str, destination: str, start: int, end: int, households: int,
                   people: int = 0) -> list[Household]:
        """Households who come after the week's registrations, at least `households` of
        them and `people` people, registered at `gp` between start and end and bound for
        `destination`; numbered after everyone registered so far. Returns those who leave."""
        registered = [e[3]["members"] for e in self.op.events if e[2] == "HouseholdRegistered"]
        index, first = len(registered), sum(len(members) for members in registered)
        families: list[list[dict[str, Any]]] = []
        while len(families) < households or sum(map(len, families)) < people:
            size = self.rng.choices(range(1, 13), SIZE_WEIGHTS)[0]
            families.append(self.family(size, False, False, first))
            first += size
        step = (end - start) / len(families)
        leaving = []
        for n, members in enumerate(families):
            if household := self.register_household(index + n, members, start + round(n * step),
                                                    gp, destination):
                leaving.append(household)
        return leaving

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
                           destination: str) -> Household | None:
        """Register the household; the members who leave, if any, as the convoys see them."""
        for member in members:
            member["destination_id"] = destination
        household_id = f"h-{index + 1:05d}"
        post = registrar(gp, index % 4 + 1)
        self.op.emit(t, "HouseholdRegistered", {
            "household_id": household_id, "gathering_point_id": gp,
            "token": self.token(gp), "members": members}, post)
        staying = self.staying(members)
        note = "chose to stay in east Aleppo" if len(staying) == len(members) else \
            "chose to stay; the rest of the household leaves"
        for n, member in enumerate(staying):
            self.op.emit(t + 120 + n, "PersonStayed", {"person_id": member["person_id"],
                                                       "note": note}, post)
        leaving = [m for m in members if not any(m is s for s in staying)]
        if not leaving:
            return None
        ages = [m.get("age", 2016 - m.get("birth_year", 2016)) for m in leaving]
        return Household(
            household_id, gp, destination,
            [(m["person_id"], m["sex"], age) for m, age in zip(leaving, ages, strict=True)],
            min((NEED_PRIORITY[Need(n)] for m in leaving for n in m.get("needs", ())),
                default=NO_NEED_PRIORITY),
            t, available=t + 20 * MINUTE)

    def staying(self, members: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """About 1% stay: a few whole households, and some elderly people whose family leaves."""
        needs = [m.get("needs", []) for m in members]
        if any(Need.UNACCOMPANIED_CHILD in n or Need.SEPARATED_CHILD in n for n in needs):
            return []
        if self.rng.random() < 0.007:
            return members
        return [m for m, n in zip(members, needs, strict=True)
                if len(members) > 1 and Need.ELDERLY in n and self.rng.random() < 0.1]


# --- names in both scripts --------------------------------------------------------------

# Each demo name in the other script: the tables above give both.
_SPELLINGS: dict[str, tuple[str, ...]] = {
    arabic: latin for arabic, latin, *_ in (*MALE_NAMES, *FEMALE_NAMES, *FAMILY_NAMES)}
_ARABIC = {spelling: arabic for arabic, latin in _SPELLINGS.items() for spelling in latin}


def is_arabic(name: str) -> bool:
    return name in _SPELLINGS


def _in_arabic(name: str) -> str:
    return name if name in _SPELLINGS else _ARABIC[name]


def other_script(name: str, rng: random.Random) -> str:
    """One demo name, or a father's name followed by his father's, in the other script."""
    if name in _SPELLINGS:
        return rng.choice(_SPELLINGS[name])
    if name in _ARABIC:
        return _ARABIC[name]
    for space in (n for n, c in enumerate(name) if c == " "):
        first, second = name[:space], name[space + 1:]
        if (first in _SPELLINGS or first in _ARABIC) and (
                second in _SPELLINGS or second in _ARABIC):
            return f"{other_script(first, rng)} {other_script(second, rng)}"
    raise KeyError(name)
