"""Brightwire IT as data: its office hours, staff, response policies and customers."""

from amends.customers.models import Tier
from amends.people.models import Role

CALENDAR_NAME = "Brightwire IT, London office"
TZ = "Europe/London"
HOURS = {str(d): [["08:30", "17:30"]] for d in range(5)}
NO_INTAKE: dict[str, list[list[str]]] = {"0": []}  # leads, managers and the orders desk get work by hand, not at intake
DAY = 540  # business minutes in a working day

# (username, first, last, team, role, on the login lines as)
STAFF = [
    ("sam", "Sam", "Patel", "desk", Role.LEAD, "team lead, Service Desk"),
    ("helen", "Helen", "Carter", "desk", Role.MANAGER, "service manager"),
    ("alex", "Alex", "Morgan", "desk", Role.ADMIN, "admin, also for /admin/"),
    ("priya", "Priya", "Shah", "desk", Role.AGENT, "agent, James's backup"),
    ("james", "James", "Whitfield", "desk", Role.AGENT, "agent, on holiday"),
    ("chloe", "Chloe", "Evans", "desk", Role.AGENT, "agent, on duty"),
    ("dan", "Dan", "Kowalski", "desk", Role.AGENT, "agent"),
    ("megan", "Megan", "Hughes", "field", Role.LEAD, "lead, Field & Orders"),
    ("ravi", "Ravi", "Menon", "field", Role.AGENT, "field engineer"),
]
LOGIN_USERS = ["sam", "priya", "helen", "alex"]

# Minutes per (tier, urgency): assign, first response, resolution. Urgent counts wall time.
POLICIES = {
    Tier.STANDARD: {"low": (120, 2 * DAY, 10 * DAY), "normal": (60, DAY, 5 * DAY),
                    "high": (30, 120, 2 * DAY), "urgent": (15, 60, 480)},
    Tier.PRIORITY: {"low": (90, DAY, 5 * DAY), "normal": (45, 240, 3 * DAY),
                    "high": (20, 60, DAY), "urgent": (10, 30, 240)},
    Tier.PREMIER: {"low": (60, 240, 3 * DAY), "normal": (30, 120, 2 * DAY),
                   "high": (15, 30, 360), "urgent": (5, 15, 240)},
}
ORDER_LEAD = {"low": 2 * 1440, "normal": 1440, "high": 480, "urgent": 240}  # wall minutes before need-by

# The demo customer who signs in to the portal (`amends run` says how): three requests of Inkwell Print Co.
PORTAL_CONTACT = ("Gary Pope", "gary@inkwellprint.test", "Inkwell Print Co.")

# key: (name, tier, usual agent, [(contact name, email, phone)])
ACCOUNTS = {
    "smile": ("Smile Bright Dental", Tier.PRIORITY, "james", [
        ("Dr Anita Rao", "anita.rao@smilebright-dental.test", "020 7946 0312"),
        ("Kerry Lomax", "kerry@smilebright-dental.test", "020 7946 0313")]),
    "hartley": ("Hartley & Finch Solicitors", Tier.PREMIER, "priya", [
        ("Edward Finch", "e.finch@hartleyfinch.test", "020 7946 0871"),
        ("Sophie Grant", "s.grant@hartleyfinch.test", "020 7946 0870")]),
    "inkwell": ("Inkwell Print Co.", Tier.STANDARD, "dan", [
        ("Gary Pope", "gary@inkwellprint.test", "0161 496 0427")]),
    "aidans": ("St Aidan's Primary School", Tier.PRIORITY, "chloe", [
        ("Rachel Dunn", "bursar@st-aidans.test", "0117 496 0155"),
        ("Mark Ellis", "m.ellis@st-aidans.test", "0117 496 0158")]),
    "carver": ("Carver Lowe Accountants", Tier.PREMIER, "james", [
        ("Martin Lowe", "martin@carverlowe.test", "020 7946 0544"),
        ("Priti Desai", "priti@carverlowe.test", "07700 900218")]),
    "northgate": ("Northgate Veterinary Clinic", Tier.STANDARD, None, [
        ("Dr Owen Reid", "owen@northgate-vets.test", "0113 496 0762")]),
    "bramble": ("Bramble & Oak Interiors", Tier.STANDARD, "chloe", [
        ("Lucy Marsh", "lucy@brambleandoak.test", "07700 900431")]),
    "pemberton": ("Pemberton Estate Agents", Tier.PRIORITY, "priya", [
        ("Neil Pemberton", "neil@pemberton-homes.test", "020 7946 0690"),
        ("Aisha Khan", "aisha@pemberton-homes.test", "020 7946 0691")]),
    "greenway": ("Greenway Physiotherapy", Tier.STANDARD, "dan", [
        ("Jo Whitaker", "jo@greenwayphysio.test", "0117 496 0933")]),
    "thames": ("Thames Valley Logistics", Tier.PREMIER, "chloe", [
        ("Sandra Bell", "sandra.bell@tvlogistics.test", "0118 496 0204"),
        ("Craig Hollis", "craig.hollis@tvlogistics.test", "07700 900677")]),
    "kettle": ("The Copper Kettle Café", Tier.STANDARD, None, [
        ("Maria Costa", "hello@copperkettle.test", "07700 900905")]),
}
