"""The demo district's directory: fictional partners around Kansas City, their services, locations and contacts.

Everything here is invented (names, addresses, 555-01xx phone numbers, example.org addresses) and built by
``build_directory()`` from a fixed random seed, so every run produces the same directory whatever the database
holds. ``seed_directory()`` writes it: it creates only what is missing (partners by name, services, locations
and contacts by name within their partner) and fills in blank partner fields, never overwriting edits.

Two sizes (``SCALES``): ``small``, the 52 hand-written partners and their 204 services, and ``full``, 150 partners
and 3,000 services, the extra ones generated from word lists (``_generated_partners``). Any ``Scale`` works (the
tests use a smaller one); bigger scales are written in batches of ``BATCH`` rows, a few statements per table.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.text import slugify

from .models import Contact, Language, Location, Partner, PartnerKind, Service, TaskForce, TaxonomyTerm
from .taxonomy import LANGUAGES

SEED = 20260816
# Rows per INSERT: a few hundred kilobytes of SQL at most, whatever the scale.
BATCH = 1000

K = PartnerKind

# name, kind, description, street, city, ZIP, service area, languages, focus (taxonomy codes), services
PARTNERS: list[tuple] = [
    # --- the original thirteen (their names are referred to by the demo accounts) ---
    (
        "U.S. Attorney's Office, W.D. Mo.",
        K.PROSECUTION,
        "Federal prosecutors for the 66 counties of western Missouri and the convening partner of the task force.",
        "400 E 9th St",
        "Kansas City",
        "64106",
        "Western District of Missouri",
        ["en", "es"],
        ["PSN-VS"],
        2,
    ),
    (
        "Jackson County Prosecutor's Office",
        K.PROSECUTION,
        "Prosecutes state crimes in Jackson County and runs a victim-witness program and a diversion docket.",
        "415 E 12th St",
        "Kansas City",
        "64106",
        "Jackson County",
        ["en", "es"],
        ["PSN-VS", "PSN-REL"],
        3,
    ),
    (
        "Kansas City Police Department",
        K.LAW_ENFORCEMENT,
        "The city's police department. Its victim assistance unit and focused-deterrence team work with partners.",
        "1125 Locust St",
        "Kansas City",
        "64106",
        "Kansas City, MO",
        ["en", "es"],
        ["PSN-VS", "PSN-OUT"],
        2,
    ),
    (
        "Independence Police Department",
        K.LAW_ENFORCEMENT,
        "Police department for the City of Independence, with a community policing and victim advocacy team.",
        "223 N Memorial Dr",
        "Independence",
        "64050",
        "Independence",
        ["en"],
        ["PSN-VS"],
        1,
    ),
    (
        "Westside Neighbors Alliance",
        K.COMMUNITY,
        "A neighbourhood association on the Westside. Volunteers mentor young people and run a monthly resource fair.",
        "2137 Summit St",
        "Kansas City",
        "64108",
        "Westside and Crossroads",
        ["en", "es"],
        ["PSN-MEN", "PSN-YTH", "PSN-FOOD"],
        4,
    ),
    (
        "Aim4Peace Outreach (fictional)",
        K.COMMUNITY,
        "Violence interrupters and outreach workers who mediate conflicts and connect people at highest risk to help.",
        "3801 Prospect Ave",
        "Kansas City",
        "64128",
        "Kansas City, MO east side",
        ["en"],
        ["PSN-OUT", "PSN-MEN", "PSN-HLT"],
        5,
    ),
    (
        "Second Chance Workforce Center",
        K.SERVICE_PROVIDER,
        "Job training and placement for people with a record. Employer partners hire graduates of its programs.",
        "1520 E 18th St",
        "Kansas City",
        "64108",
        "Kansas City, MO urban core",
        ["en", "es"],
        ["PSN-EMP", "PSN-REN", "PSN-EDU", "PSN-ID"],
        9,
    ),
    (
        "Heartland Behavioral Health",
        K.SERVICE_PROVIDER,
        "Outpatient mental health and addiction treatment with trauma-informed counsellors and a crisis clinic.",
        "3100 Broadway Blvd",
        "Kansas City",
        "64111",
        "Jackson County",
        ["en", "es", "asl"],
        ["PSN-MH", "PSN-SUD"],
        8,
    ),
    (
        "Safe Harbor Housing",
        K.SERVICE_PROVIDER,
        "Emergency shelter, transitional apartments and rapid rehousing for people leaving violence or incarceration.",
        "2600 Independence Ave",
        "Kansas City",
        "64124",
        "Kansas City metro (Missouri side)",
        ["en", "es"],
        ["PSN-HOU", "PSN-REL", "PSN-BEN"],
        7,
    ),
    (
        "Prospect Avenue Churches United",
        K.FAITH_BASED,
        "Eleven congregations along Prospect Avenue sharing a food pantry, mentors and reentry support.",
        "4200 Prospect Ave",
        "Kansas City",
        "64130",
        "Kansas City, MO east side",
        ["en"],
        ["PSN-FOOD", "PSN-MEN", "PSN-REN", "PSN-FAM"],
        5,
    ),
    (
        "UMKC Violence Research Lab (fictional)",
        K.RESEARCH,
        "University researchers who evaluate the task force's strategies and map violence trends for its meetings.",
        "5100 Rockhill Rd",
        "Kansas City",
        "64110",
        "Western District of Missouri",
        ["en"],
        [],
        0,
    ),
    (
        "Missouri Probation and Parole, District 16",
        K.GOVERNMENT,
        "State probation and parole officers supervising people in Kansas City; hosts a reentry resource room.",
        "615 E 13th St",
        "Kansas City",
        "64106",
        "Kansas City, MO",
        ["en", "es"],
        ["PSN-REN", "PSN-ID"],
        3,
    ),
    (
        "KC Civic Tech Volunteers",
        K.OTHER,
        "Volunteer technologists who help partners with data, maps and digital skills classes.",
        "1 W 18th St",
        "Kansas City",
        "64108",
        "Kansas City metro (Missouri side)",
        ["en"],
        ["PSN-EDU"],
        1,
    ),
    # --- law enforcement ---
    (
        "Jackson County Sheriff's Office",
        K.LAW_ENFORCEMENT,
        "County sheriff serving unincorporated Jackson County and the county detention center's reentry desk.",
        "4001 NE Lakewood Way",
        "Lee's Summit",
        "64064",
        "Jackson County",
        ["en"],
        ["PSN-REN"],
        1,
    ),
    (
        "Grandview Police Department",
        K.LAW_ENFORCEMENT,
        "Police department for Grandview, south of Kansas City, with a school resource and youth outreach unit.",
        "1200 Main St",
        "Grandview",
        "64030",
        "Grandview and south Kansas City",
        ["en", "es"],
        ["PSN-YTH"],
        1,
    ),
    (
        "Raytown Police Department",
        K.LAW_ENFORCEMENT,
        "Raytown's police department. Its victim services officer works with the task force on shootings.",
        "10000 E 59th St",
        "Raytown",
        "64133",
        "Raytown",
        ["en"],
        ["PSN-VS"],
        1,
    ),
    # --- prosecution ---
    (
        "Clay County Prosecuting Attorney's Office",
        K.PROSECUTION,
        "Prosecutes state crimes north of the river and runs a victim advocate program for Clay County.",
        "11 S Water St",
        "Liberty",
        "64068",
        "Clay County",
        ["en"],
        ["PSN-VS"],
        1,
    ),
    (
        "Platte County Prosecuting Attorney's Office",
        K.PROSECUTION,
        "Prosecutor for Platte County, with a treatment court that refers participants to local providers.",
        "415 3rd St",
        "Platte City",
        "64079",
        "Platte County",
        ["en"],
        ["PSN-VS", "PSN-SUD"],
        2,
    ),
    # --- community groups ---
    (
        "Blue Hills Block Watch Network",
        K.COMMUNITY,
        "Block captains in the Blue Hills neighbourhood who organise walks, clean-ups and a youth basketball night.",
        "5309 Woodland Ave",
        "Kansas City",
        "64110",
        "Kansas City, MO east side",
        ["en"],
        ["PSN-YTH", "PSN-MEN"],
        3,
    ),
    (
        "Marlborough Community Coalition",
        K.COMMUNITY,
        "A resident-led coalition in Marlborough running a community garden, food boxes and a tool library.",
        "8200 Paseo Blvd",
        "Kansas City",
        "64131",
        "South Kansas City",
        ["en", "es"],
        ["PSN-FOOD", "PSN-FAM"],
        3,
    ),
    (
        "Northeast KC Neighbors United",
        K.COMMUNITY,
        "Historic Northeast residents and immigrant families working together on safety and youth programs.",
        "5800 St John Ave",
        "Kansas City",
        "64123",
        "Historic Northeast Kansas City",
        ["en", "es", "vi", "so", "sw"],
        ["PSN-YTH", "PSN-BEN", "PSN-MEN"],
        4,
    ),
    (
        "Mothers Against Retaliation KC (fictional)",
        K.COMMUNITY,
        "Mothers who lost children to gun violence support grieving families and speak to youth about retaliation.",
        "3420 E 31st St",
        "Kansas City",
        "64128",
        "Kansas City, MO east side",
        ["en"],
        ["PSN-VS", "PSN-FAM", "PSN-MEN"],
        3,
    ),
    (
        "Troost Corridor Peacekeepers",
        K.COMMUNITY,
        "Credible messengers along Troost Avenue who interrupt disputes and walk people to services.",
        "4700 Troost Ave",
        "Kansas City",
        "64110",
        "Troost corridor",
        ["en"],
        ["PSN-OUT", "PSN-MEN"],
        3,
    ),
    # --- service providers ---
    (
        "Paseo Reentry Collaborative",
        K.SERVICE_PROVIDER,
        "A one-stop reentry centre: case management, IDs, clothing and warm hand-offs to jobs and housing.",
        "2100 The Paseo",
        "Kansas City",
        "64108",
        "Kansas City, MO urban core",
        ["en", "es"],
        ["PSN-REN", "PSN-ID", "PSN-TRN", "PSN-FIN"],
        8,
    ),
    (
        "Midtown Recovery Center",
        K.SERVICE_PROVIDER,
        "Detox, residential and outpatient substance use treatment, with peer recovery coaches.",
        "3625 Main St",
        "Kansas City",
        "64111",
        "Kansas City metro (Missouri side)",
        ["en", "es"],
        ["PSN-SUD", "PSN-MH"],
        7,
    ),
    (
        "Gateway Legal Aid of Kansas City",
        K.SERVICE_PROVIDER,
        "Free civil legal help: expungement, driver's licence reinstatement, housing and family law.",
        "1125 Grand Blvd",
        "Kansas City",
        "64106",
        "Western District of Missouri",
        ["en", "es", "vi"],
        ["PSN-LEG", "PSN-ID", "PSN-BEN"],
        7,
    ),
    (
        "Bright Futures Youth League",
        K.SERVICE_PROVIDER,
        "After-school programs, sports leagues and paid summer jobs for young people aged 12 to 24.",
        "6400 Swope Pkwy",
        "Kansas City",
        "64132",
        "Kansas City, MO east side",
        ["en", "es"],
        ["PSN-YTH", "PSN-EDU", "PSN-MEN", "PSN-EMP"],
        7,
    ),
    (
        "Crossroads Tattoo Removal Clinic",
        K.SERVICE_PROVIDER,
        "Free laser removal of gang-related and visible tattoos for people working toward a job or a fresh start.",
        "1815 Grand Blvd",
        "Kansas City",
        "64108",
        "Kansas City metro (Missouri side)",
        ["en", "es"],
        ["PSN-TAT", "PSN-HLT"],
        4,
    ),
    (
        "Blue River Family Services",
        K.SERVICE_PROVIDER,
        "Parenting classes, family therapy, child care help and supervised visits for families in crisis.",
        "7400 Blue Ridge Blvd",
        "Raytown",
        "64133",
        "Eastern Jackson County",
        ["en", "es"],
        ["PSN-FAM", "PSN-MH", "PSN-FIN"],
        7,
    ),
    (
        "Truman Road Food Pantry",
        K.SERVICE_PROVIDER,
        "A client-choice pantry with groceries, hot meals on weekdays and home delivery for people without a car.",
        "4900 Truman Rd",
        "Kansas City",
        "64127",
        "Kansas City, MO east side",
        ["en", "es"],
        ["PSN-FOOD", "PSN-BEN"],
        5,
    ),
    (
        "Metro Victim Advocacy Center",
        K.SERVICE_PROVIDER,
        "Advocates for victims of violent crime: crisis support, court accompaniment and crime victims' compensation.",
        "1000 Walnut St",
        "Kansas City",
        "64106",
        "Kansas City metro (Missouri side)",
        ["en", "es", "vi", "asl"],
        ["PSN-VS", "PSN-REL", "PSN-MH", "PSN-LEG"],
        8,
    ),
    (
        "Eastside Hospital Violence Intervention Program",
        K.SERVICE_PROVIDER,
        "Meets people injured by violence at the bedside and stays with them through recovery and beyond.",
        "2301 Holmes St",
        "Kansas City",
        "64108",
        "Kansas City, MO",
        ["en", "es"],
        ["PSN-HLT", "PSN-VS", "PSN-OUT"],
        5,
    ),
    (
        "Swope Parkway Health Partners",
        K.SERVICE_PROVIDER,
        "A community health centre offering primary care, dental, behavioural health and a sliding fee scale.",
        "3801 Blue Pkwy",
        "Kansas City",
        "64130",
        "Kansas City, MO east side",
        ["en", "es", "ar"],
        ["PSN-HLT", "PSN-MH", "PSN-BEN"],
        6,
    ),
    (
        "Northland Counseling Associates",
        K.SERVICE_PROVIDER,
        "Counselling and substance use services north of the river, with evening groups.",
        "4200 N Oak Trafficway",
        "Kansas City",
        "64116",
        "Clay and Platte counties",
        ["en"],
        ["PSN-MH", "PSN-SUD"],
        5,
    ),
    (
        "Fresh Start ID Clinic",
        K.SERVICE_PROVIDER,
        "Helps people get a state ID, birth certificate and Social Security card, and pays the fees.",
        "3030 Gillham Rd",
        "Kansas City",
        "64109",
        "Kansas City, MO",
        ["en", "es"],
        ["PSN-ID", "PSN-TRN"],
        4,
    ),
    (
        "KC Safe Passage Relocation Program",
        K.SERVICE_PROVIDER,
        "Confidential emergency relocation for witnesses and people at risk of retaliation, with moving help.",
        "PO Box 410155",
        "Kansas City",
        "64141",
        "Western District of Missouri",
        ["en", "es"],
        ["PSN-REL", "PSN-HOU", "PSN-FIN"],
        4,
    ),
    (
        "Heartland Adult Learning Center",
        K.SERVICE_PROVIDER,
        "Free HiSET (high-school equivalency) classes, adult basic education, English classes and college navigation.",
        "2220 Central St",
        "Kansas City",
        "64108",
        "Kansas City, MO",
        ["en", "es", "so", "ar", "my"],
        ["PSN-EDU", "PSN-EMP"],
        6,
    ),
    (
        "Independence Avenue Immigrant Services",
        K.SERVICE_PROVIDER,
        "Interpreters, benefits help, legal screening and family support for immigrant and refugee neighbours.",
        "3100 Independence Ave",
        "Kansas City",
        "64124",
        "Historic Northeast Kansas City",
        ["en", "es", "vi", "so", "ar", "sw", "my", "ne"],
        ["PSN-BEN", "PSN-LEG", "PSN-FAM", "PSN-EDU"],
        6,
    ),
    (
        "RideLink KC Transportation",
        K.SERVICE_PROVIDER,
        "Rides to appointments, bus passes and help getting a driver's licence back.",
        "1200 E 18th St",
        "Kansas City",
        "64108",
        "Kansas City metro (Missouri side)",
        ["en", "es"],
        ["PSN-TRN"],
        4,
    ),
    (
        "Benefit Bridge of Greater KC",
        K.SERVICE_PROVIDER,
        "Benefits navigators who help with SNAP, Medicaid, SSI and utility assistance applications.",
        "4600 E 63rd St",
        "Kansas City",
        "64130",
        "Jackson County",
        ["en", "es"],
        ["PSN-BEN", "PSN-FIN", "PSN-FOOD"],
        5,
    ),
    (
        "Urban Trades Pre-Apprenticeship",
        K.SERVICE_PROVIDER,
        "Construction pre-apprenticeship with tools, boots and a stipend; graduates enter union apprenticeships.",
        "1701 E Linwood Blvd",
        "Kansas City",
        "64109",
        "Kansas City, MO urban core",
        ["en", "es"],
        ["PSN-EMP", "PSN-EDU", "PSN-TRN"],
        5,
    ),
    # --- faith-based ---
    (
        "Greater Harvest Reentry Ministry",
        K.FAITH_BASED,
        "A church ministry meeting people at the gate on release day with a mentor, clothing and a place to stay.",
        "2901 E 27th St",
        "Kansas City",
        "64127",
        "Kansas City, MO east side",
        ["en"],
        ["PSN-REN", "PSN-MEN", "PSN-HOU"],
        4,
    ),
    (
        "St. Mark's Outreach Ministry (fictional)",
        K.FAITH_BASED,
        "A parish outreach offering a weekday lunch, emergency cash help and a Spanish-speaking family ministry.",
        "1101 E 10th St",
        "Kansas City",
        "64106",
        "Downtown and Columbus Park",
        ["en", "es"],
        ["PSN-FOOD", "PSN-FIN", "PSN-FAM"],
        4,
    ),
    (
        "Crescent Community Relief (fictional)",
        K.FAITH_BASED,
        "A mosque-based relief committee serving families of every faith with food, rent help and interpreters.",
        "8501 E 99th St",
        "Kansas City",
        "64134",
        "South Kansas City",
        ["en", "ar", "so", "ps", "fa"],
        ["PSN-FOOD", "PSN-FIN", "PSN-BEN"],
        3,
    ),
    (
        "Eastside Unity Fellowship",
        K.FAITH_BASED,
        "Congregations that host grief support circles, youth mentoring and a Saturday barber shop for young men.",
        "5600 E 39th St",
        "Kansas City",
        "64130",
        "Kansas City, MO east side",
        ["en"],
        ["PSN-MEN", "PSN-YTH", "PSN-MH"],
        3,
    ),
    # --- research ---
    (
        "Mid-America Justice Policy Institute (fictional)",
        K.RESEARCH,
        "An independent research group that studies reentry outcomes and publishes the task force's annual data brief.",
        "4747 Troost Ave",
        "Kansas City",
        "64110",
        "Western District of Missouri",
        ["en"],
        [],
        0,
    ),
    # --- government ---
    (
        "Jackson County Family Court Services",
        K.GOVERNMENT,
        "Juvenile officers, diversion and family support services of the county family court.",
        "625 E 26th St",
        "Kansas City",
        "64108",
        "Jackson County",
        ["en", "es"],
        ["PSN-FAM", "PSN-YTH"],
        3,
    ),
    (
        "KC Health Department Violence Prevention Unit",
        K.GOVERNMENT,
        "The city health department's public-health approach to violence: outreach grants, trauma care and data.",
        "2400 Troost Ave",
        "Kansas City",
        "64108",
        "Kansas City, MO",
        ["en", "es"],
        ["PSN-OUT", "PSN-HLT", "PSN-MH"],
        3,
    ),
    (
        "Missouri Division of Youth Services, Kansas City Region",
        K.GOVERNMENT,
        "State agency for young people in its care, with aftercare, education and job programs on return home.",
        "3100 E 31st St",
        "Kansas City",
        "64128",
        "Western Missouri",
        ["en"],
        ["PSN-YTH", "PSN-EDU", "PSN-REN"],
        3,
    ),
    (
        "Missouri Family Support Division, Kansas City Office",
        K.GOVERNMENT,
        "State office handling SNAP, Medicaid and temporary assistance applications, with on-site navigators.",
        "615 E 13th St, Suite 200",
        "Kansas City",
        "64106",
        "Jackson County",
        ["en", "es"],
        ["PSN-BEN", "PSN-FOOD"],
        2,
    ),
    # --- other ---
    (
        "Heartland Fair-Chance Employers Network",
        K.OTHER,
        "Local employers committed to fair-chance hiring who offer interviews and job shadowing to referred people.",
        "30 W Pershing Rd",
        "Kansas City",
        "64108",
        "Kansas City metro (Missouri side)",
        ["en"],
        ["PSN-EMP"],
        2,
    ),
    (
        "Metro Bar Pro Bono Project",
        K.OTHER,
        "Volunteer lawyers from the metropolitan bar who hold record-clearing and legal advice clinics.",
        "2300 Main St",
        "Kansas City",
        "64108",
        "Kansas City metro (Missouri side)",
        ["en", "es"],
        ["PSN-LEG"],
        2,
    ),
]

# Service names and one-sentence descriptions by taxonomy code.
SERVICES: dict[str, list[tuple[str, str]]] = {
    "PSN-EMP": [
        ("Job readiness workshop", "A two-week course on résumés, interviews and workplace expectations."),
        ("Transitional jobs program", "Paid, supervised work for up to six months while looking for a permanent job."),
        ("Forklift and warehouse certification", "OSHA forklift certification and warehouse safety training."),
        ("Commercial driver training", "Class A CDL training with permit test preparation and job placement."),
        ("Fair-chance job placement", "Matches job seekers with employers who hire people with a record."),
        ("Culinary arts training", "Twelve weeks of kitchen training and ServSafe certification."),
    ],
    "PSN-MEN": [
        ("Credible messenger mentoring", "One-to-one mentoring by people who have walked the same road."),
        ("Young men's mentoring circle", "Weekly group mentoring and life skills for young men."),
        ("Life coaching", "Goal setting and regular check-ins with a trained life coach."),
        ("Girls' leadership circle", "Mentoring, leadership and safety planning for girls and young women."),
        ("Peer support group", "A weekly support group led by trained peers."),
    ],
    "PSN-HOU": [
        ("Emergency shelter beds", "Short-term shelter with meals and case management."),
        ("Transitional housing", "Up to 24 months of supported housing while working toward a lease."),
        ("Rapid rehousing", "Deposit and rent help with a housing search specialist."),
        ("Rental assistance", "One-time help with past-due rent to prevent an eviction."),
        ("Recovery housing", "Sober living homes with peer support."),
    ],
    "PSN-MH": [
        ("Individual counselling", "Weekly sessions with a licensed, trauma-informed therapist."),
        ("Walk-in crisis clinic", "Same-day help for anyone in a mental health crisis."),
        ("Trauma recovery group", "A twelve-week group for people who have survived violence."),
        ("Psychiatric evaluation and medication", "Assessment and medication management by a psychiatric provider."),
        ("Grief support circle", "Support for people who lost someone to violence."),
        ("Anger management course", "A court-accepted anger management course."),
    ],
    "PSN-SUD": [
        ("Outpatient substance use treatment", "Counselling and groups several evenings a week."),
        ("Medically supervised detox", "Safe withdrawal with medical staff around the clock."),
        ("Medication for opioid use disorder", "Buprenorphine and naltrexone with counselling."),
        ("Peer recovery coaching", "A recovery coach who has lived experience of addiction."),
        ("Residential treatment", "A 28-day residential program followed by aftercare."),
        ("Naloxone and harm reduction kits", "Free naloxone, test strips and training."),
    ],
    "PSN-VS": [
        ("Victim advocacy", "An advocate explains rights, helps with safety planning and stays in touch."),
        ("Court accompaniment", "An advocate attends hearings with victims and witnesses."),
        ("Crime victims' compensation help", "Help applying for state compensation for medical bills and funerals."),
        ("24-hour crisis line", "Trained advocates answer day and night."),
        ("Homicide survivors support", "Practical and emotional support for families after a homicide."),
        ("Victim-witness notification", "Keeps victims informed of case events and release dates."),
    ],
    "PSN-REL": [
        ("Emergency relocation", "Confidential moves for people at immediate risk of retaliation."),
        ("Witness relocation assistance", "Short-term lodging and moving costs for witnesses in danger."),
        ("Moving and deposit help", "Covers moving costs and a first deposit in a safer neighbourhood."),
    ],
    "PSN-TAT": [
        ("Laser tattoo removal", "A series of free laser sessions to remove gang-related or visible tattoos."),
        ("Tattoo cover-up referral", "Referral to volunteer artists for cover-up of visible tattoos."),
        ("Tattoo removal consultation", "An assessment of how many sessions a removal will take."),
    ],
    "PSN-EDU": [
        ("HiSET preparation classes", "Classes toward the Missouri high-school equivalency test."),
        ("Adult basic education", "Reading, writing and maths for adults at every level."),
        ("English as a second language", "Free English classes from beginner to advanced."),
        ("College and training navigation", "Help choosing a program, applying and paying for it."),
        ("Digital skills class", "Basic computer, email and smartphone skills."),
        ("School re-engagement", "Helps young people who left school return or finish elsewhere."),
    ],
    "PSN-LEG": [
        ("Expungement clinic", "Lawyers check eligibility and file petitions to close records."),
        ("Driver's licence reinstatement", "Legal help clearing suspensions, fines and warrants."),
        ("Child support modification", "Help asking the court to adjust child support after incarceration."),
        ("Eviction defence", "Representation for tenants facing eviction."),
        ("Civil legal advice", "Brief advice on housing, debt, benefits and family matters."),
    ],
    "PSN-BEN": [
        ("SNAP application help", "Help applying for food stamps and keeping them."),
        ("Medicaid enrolment", "Help applying for MO HealthNet coverage."),
        ("SSI and disability applications", "Navigators help with Social Security disability claims."),
        ("Utility assistance", "Help with LIHEAP and past-due utility bills."),
        ("Benefits check-up", "A screening for every benefit a household may qualify for."),
    ],
    "PSN-TRN": [
        ("Bus passes", "Monthly transit passes for people going to work, school or appointments."),
        ("Rides to appointments", "Scheduled rides to court, treatment and job interviews."),
        ("Driver's education", "Classroom and road lessons toward a licence."),
        ("Vehicle repair assistance", "Helps pay for repairs that keep someone getting to work."),
    ],
    "PSN-FOOD": [
        ("Food pantry", "Groceries once a week, client choice."),
        ("Hot meals", "A hot lunch served on weekdays."),
        ("Home grocery delivery", "Groceries delivered to people who cannot travel."),
        ("Community garden plots", "Free garden plots, seeds and tools."),
        ("Weekend food boxes", "Boxes of food for families with children."),
    ],
    "PSN-ID": [
        ("State ID assistance", "Help and fees for a Missouri non-driver ID."),
        ("Birth certificate request", "Orders birth certificates from any state and pays the fee."),
        ("Social Security card replacement", "Help replacing a lost Social Security card."),
        ("Release-day document kit", "Gathers ID documents before and on the day of release."),
    ],
    "PSN-FAM": [
        ("Parenting classes", "A court-accepted parenting course in English and Spanish."),
        ("Family therapy", "Counselling for families working through conflict or loss."),
        ("Child care assistance", "Help finding and paying for child care."),
        ("Supervised visitation", "Safe, supervised visits between parents and children."),
        ("Family mediation", "Trained mediators help families resolve disputes."),
        ("Fatherhood program", "Support and skills for fathers reconnecting with their children."),
    ],
    "PSN-HLT": [
        ("Primary care clinic", "Check-ups, chronic care and referrals on a sliding fee scale."),
        ("Bedside violence intervention", "Specialists meet people injured by violence in the hospital."),
        ("Dental clinic", "Cleanings, fillings and extractions at low cost."),
        ("Vision screening and glasses", "Eye exams and free glasses."),
        ("Wound care follow-up", "Nurse follow-up after a gunshot or stab wound."),
    ],
    "PSN-REN": [
        ("Reentry case management", "A case manager from before release through the first year home."),
        ("Release-day pickup", "Someone meets people at the gate and takes them home."),
        ("Reentry resource fair", "A monthly fair with employers, housing providers and ID services."),
        ("Clothing closet", "Work clothes, boots and seasonal clothing."),
        ("Cognitive behavioural skills group", "A group on thinking, choices and consequences."),
    ],
    "PSN-OUT": [
        ("Violence interruption", "Outreach workers mediate conflicts before they turn violent."),
        ("Street outreach", "Outreach workers build relationships with people at highest risk."),
        ("Retaliation prevention", "Outreach after a shooting to prevent the next one."),
        ("Hot spot community walks", "Regular walks with residents in the most affected blocks."),
    ],
    "PSN-YTH": [
        ("After-school program", "Homework help, meals and activities on school days."),
        ("Summer youth jobs", "Paid summer jobs for ages 14 to 24."),
        ("Youth basketball league", "A supervised evening league with coaches and mentors."),
        ("Youth diversion program", "An alternative to court for young people charged the first time."),
        ("Teen arts workshop", "Music, film and visual arts for teenagers."),
    ],
    "PSN-FIN": [
        ("Emergency cash assistance", "A one-time grant for an urgent need."),
        ("Financial coaching", "One-to-one coaching on budgets, credit and debt."),
        ("Bank account access", "Help opening a second-chance checking account."),
        ("Free tax preparation", "IRS-certified volunteers prepare returns at no cost."),
    ],
}

ELIGIBILITY = [
    "Adults 18 and over living in Jackson County.",
    "Anyone referred by a task force partner.",
    "Young people aged 14 to 24.",
    "People returning home from prison or jail within the last 12 months.",
    "Residents of Kansas City, Missouri.",
    "Adults on probation or parole in the district.",
    "Victims and witnesses of violent crime, and their families.",
    "Household income under 200% of the federal poverty level.",
    "No eligibility requirements; walk-ins welcome.",
    "Adults 18 and over; a photo ID is helpful but not required.",
    "Residents of Clay, Platte or Jackson County.",
    "Parents and caregivers of children under 18.",
]

HOURS = [
    "Mon-Fri 8:00-17:00",
    "Mon-Fri 9:00-17:00",
    "Mon-Thu 9:00-19:00; Fri 9:00-15:00",
    "Mon-Fri 8:30-16:30; Sat 10:00-14:00",
    "Tue and Thu 17:30-20:30",
    "24 hours a day, 7 days a week",
    "Mon, Wed, Fri 10:00-14:00",
    "By appointment, Mon-Sat",
    "Sat 9:00-12:00",
    "Mon-Fri 7:00-15:30",
]

CAPACITIES = [None, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 75, 100, 150]

FIRST_NAMES = [
    "Alicia", "Andre", "Beatriz", "Calvin", "Denise", "Darnell", "Elena", "Ebony", "Francisco", "Gloria",
    "Hassan", "Imani", "Jamal", "Jasmine", "Keisha", "Lamar", "Linh", "Marcus", "Maria", "Nadia", "Omar",
    "Patrice", "Quentin", "Rosa", "Shanice", "Terrence", "Tanya", "Victor", "Whitney", "Xavier", "Yolanda",
    "Zainab", "Brandon", "Carmen", "Deshawn", "Fatima", "Gregory", "Hana", "Isaiah", "Janelle",
]  # fmt: skip

LAST_NAMES = [
    "Abernathy", "Banks", "Castillo", "Dawson", "Ellison", "Flores", "Gaines", "Harper", "Ibarra", "Jefferson",
    "Kimani", "Lopez", "Mitchell", "Nguyen", "Okafor", "Porter", "Ramirez", "Simmons", "Tran", "Underwood",
    "Vasquez", "Washington", "Yusuf", "Zamora", "Bishop", "Coleman", "Duarte", "Franklin", "Greene", "Holloway",
]  # fmt: skip

TITLES = {
    K.LAW_ENFORCEMENT: ["Victim services coordinator", "Community policing sergeant", "Crime analyst"],
    K.PROSECUTION: ["Victim-witness coordinator", "Assistant prosecutor", "Community prosecution liaison"],
    K.COMMUNITY: ["Executive director", "Outreach lead", "Volunteer coordinator"],
    K.SERVICE_PROVIDER: ["Intake coordinator", "Program director", "Case manager", "Referral specialist"],
    K.FAITH_BASED: ["Pastor", "Outreach ministry lead", "Volunteer coordinator"],
    K.RESEARCH: ["Principal investigator", "Research analyst"],
    K.GOVERNMENT: ["Program manager", "Supervisor", "Community liaison"],
    K.OTHER: ["Coordinator", "Board chair"],
}

# Rough coordinates of the demo area, for the locations' map pins.
KC_LATITUDE, KC_LONGITUDE = 39.0997, -94.5786


@dataclass
class ServiceSpec:
    name: str
    description: str
    categories: list[str]
    eligibility: str
    capacity: int | None
    accepting_referrals: bool
    languages: list[str]
    hours: str
    contact_name: str
    contact_phone: str
    contact_email: str
    url: str


@dataclass
class LocationSpec:
    name: str
    address_1: str
    city: str
    postal_code: str
    latitude: Decimal
    longitude: Decimal
    services: list[str]


@dataclass
class ContactSpec:
    name: str
    title: str
    email: str
    phone: str


@dataclass
class PartnerSpec:
    name: str
    kind: str
    description: str
    address_1: str
    city: str
    postal_code: str
    phone: str
    email: str
    website: str
    service_area: str
    languages: list[str]
    contacts: list[ContactSpec] = field(default_factory=list)
    services: list[ServiceSpec] = field(default_factory=list)
    locations: list[LocationSpec] = field(default_factory=list)

    @property
    def fields(self) -> dict:
        return {
            "kind": self.kind,
            "description": self.description,
            "address_1": self.address_1,
            "city": self.city,
            "state_province": "MO",
            "postal_code": self.postal_code,
            "phone": self.phone,
            "email": self.email,
            "website": self.website,
            "service_area": self.service_area,
        }


def _phone(rng: random.Random) -> str:
    return f"(816) 555-01{rng.randrange(100):02d}"


def _coordinate(rng: random.Random, centre: float) -> Decimal:
    return Decimal(f"{centre + rng.uniform(-0.12, 0.12):.6f}")


def build_directory(scale: Scale | None = None) -> list[PartnerSpec]:
    """The whole demo directory at ``scale`` (default: the hand-written one, SMALL), the same on every call (fixed
    seeds; no database access)."""
    rng = random.Random(SEED)  # noqa: S311 - demo data, not security
    specs = []
    for index, row in enumerate(PARTNERS):
        name, kind, description, street, city, zip_code, area, languages, focus, n_services = row
        domain = slugify(name.replace("'", ""))[:40].strip("-") + ".example.org"
        spec = PartnerSpec(
            name=name,
            kind=kind,
            description=description,
            address_1=street,
            city=city,
            postal_code=zip_code,
            phone=f"(816) 555-01{index % 100:02d}",
            email=f"info@{domain}",
            website=f"https://{domain}/",
            service_area=area,
            languages=list(languages),
        )
        for first, last in _two_people(rng):
            spec.contacts.append(
                ContactSpec(
                    name=f"{first} {last}",
                    title=rng.choice(TITLES[kind]),
                    email=f"{first.lower()}.{last.lower()}@{domain}",
                    phone=_phone(rng),
                )
            )
        # Services: walk the partner's focus codes in turn, taking templates it does not offer yet.
        pools = {code: rng.sample(SERVICES[code], len(SERVICES[code])) for code in focus}
        for i in range(n_services):
            code = focus[i % len(focus)]
            if not pools[code]:
                code = next(c for c in focus if pools[c])
            service_name, service_description = pools[code].pop()
            categories = [code]
            others = [c for c in focus if c != code]
            if others and rng.random() < 0.35:
                categories.append(rng.choice(others))
            contact = rng.choice(spec.contacts)
            extra = [lang for lang in languages if lang != "en"]
            spec.services.append(
                ServiceSpec(
                    name=service_name,
                    description=service_description,
                    categories=categories,
                    eligibility=rng.choice(ELIGIBILITY),
                    capacity=rng.choice(CAPACITIES),
                    accepting_referrals=rng.random() < 0.85,
                    languages=["en", *rng.sample(extra, rng.randint(0, len(extra)))],
                    hours=rng.choice(HOURS),
                    contact_name=contact.name,
                    contact_phone=contact.phone,
                    contact_email=contact.email,
                    url=f"https://{domain}/services/{slugify(service_name)}/",
                )
            )
        if spec.services:
            names = [s.name for s in spec.services]
            spec.locations.append(
                LocationSpec(
                    name=f"{name} main site",
                    address_1=street,
                    city=city,
                    postal_code=zip_code,
                    latitude=_coordinate(rng, KC_LATITUDE),
                    longitude=_coordinate(rng, KC_LONGITUDE),
                    services=names,
                )
            )
        specs.append(spec)
    if scale is not None and (scale.partners > SMALL.partners or scale.services > SMALL.services):
        specs += _generated_partners(scale, {spec.name for spec in specs}, len(specs))
    return specs


def _two_people(rng: random.Random) -> list[tuple[str, str]]:
    firsts = rng.sample(FIRST_NAMES, 2)
    lasts = rng.sample(LAST_NAMES, 2)
    return list(zip(firsts, lasts, strict=True))


# --- The full-scale directory (seed_demo --scale full) ------------------------------------------------
#
# Beyond the hand-written partners above, generated ones: names, descriptions and sites are combinations of the
# word lists below (neighbourhoods, suburbs and counties around Kansas City, and a few kinds of organisation per
# partner kind), services are the templates of SERVICES offered at one or more sites. Drawn from their own seeded
# random generator, so the hand-written directory is the same at every scale.


@dataclass(frozen=True)
class Scale:
    """How big a directory to build: the hand-written partners, then generated ones up to these totals."""

    partners: int
    services: int


SMALL = Scale(partners=len(PARTNERS), services=sum(row[-1] for row in PARTNERS))
FULL = Scale(partners=150, services=3000)
SCALES = {"small": SMALL, "full": FULL}

# Kansas City neighbourhoods (name, ZIP).
NEIGHBOURHOODS = [
    ("Westport", "64111"), ("Brookside", "64113"), ("Waldo", "64114"), ("Hyde Park", "64111"),
    ("Ivanhoe", "64127"), ("Santa Fe", "64130"), ("Blue Valley", "64126"), ("Columbus Park", "64106"),
    ("Pendleton Heights", "64124"), ("Sheffield", "64125"), ("Midtown", "64111"), ("Volker", "64111"),
    ("Squier Park", "64109"), ("Manheim Park", "64110"), ("Linwood", "64109"), ("18th and Vine", "64108"),
    ("Beacon Hill", "64108"), ("Martin City", "64145"), ("Red Bridge", "64131"), ("Swope Park", "64132"),
    ("Ruskin Heights", "64134"), ("Hickman Mills", "64134"), ("Leeds", "64129"), ("Lykins", "64123"),
    ("Scarritt", "64124"), ("Indian Mound", "64123"), ("Washington Wheatley", "64127"), ("Oak Park", "64130"),
    ("Town Fork Creek", "64130"), ("Palestine", "64128"), ("Marlborough", "64131"), ("Dunbar", "64128"),
    ("Longfellow", "64109"), ("Northland", "64118"), ("Crossroads", "64108"), ("River Market", "64105"),
]  # fmt: skip

# Cities and towns around Kansas City (name, ZIP, county).
TOWNS = [
    ("Gladstone", "64118", "Clay"), ("North Kansas City", "64116", "Clay"), ("Riverside", "64150", "Platte"),
    ("Parkville", "64152", "Platte"), ("Liberty", "64068", "Clay"), ("Sugar Creek", "64054", "Jackson"),
    ("Blue Springs", "64014", "Jackson"), ("Lee's Summit", "64063", "Jackson"), ("Belton", "64012", "Cass"),
    ("Grain Valley", "64029", "Jackson"), ("Raytown", "64133", "Jackson"), ("Grandview", "64030", "Jackson"),
    ("Independence", "64055", "Jackson"), ("Kearney", "64060", "Clay"), ("Smithville", "64089", "Clay"),
    ("Excelsior Springs", "64024", "Clay"), ("Pleasant Hill", "64080", "Cass"), ("Oak Grove", "64075", "Jackson"),
    ("Raymore", "64083", "Cass"), ("Platte City", "64079", "Platte"), ("Peculiar", "64078", "Cass"),
]  # fmt: skip

# Counties of the district near Kansas City and their seats (county, seat, ZIP).
COUNTIES = [
    ("Jackson", "Independence", "64050"), ("Clay", "Liberty", "64068"), ("Platte", "Platte City", "64079"),
    ("Cass", "Harrisonville", "64701"), ("Lafayette", "Lexington", "64067"), ("Ray", "Richmond", "64085"),
    ("Clinton", "Plattsburg", "64477"), ("Johnson", "Warrensburg", "64093"), ("Bates", "Butler", "64730"),
]  # fmt: skip

STREETS = [
    "Troost Ave", "Prospect Ave", "Main St", "Broadway Blvd", "Independence Ave", "E 39th St", "Gregory Blvd",
    "Blue Ridge Blvd", "Noland Rd", "N Oak Trafficway", "Linwood Blvd", "Swope Pkwy", "Wornall Rd", "Truman Rd",
    "E 63rd St", "Bannister Rd", "Red Bridge Rd", "NE Vivion Rd", "NW Barry Rd", "NE Antioch Rd", "E 31st St",
    "Paseo Blvd", "Van Brunt Blvd", "Benton Blvd", "Holmes Rd", "E 75th St", "State Line Rd", "Gillham Rd",
]  # fmt: skip

# Generated partners by kind: (name pattern, what fills it, focus codes, description). The pattern's {place} is a
# neighbourhood or a town, {hood} a neighbourhood, {town} a town, {county} a county.
ORGANISATIONS: dict[str, list[tuple[str, str, list[str], str]]] = {
    K.LAW_ENFORCEMENT: [
        ("{town} Police Department", "town", ["PSN-VS", "PSN-YTH"],
         "The police department of {town}, with a victim services officer and a youth outreach unit."),
        ("{county} County Sheriff's Office", "county", ["PSN-REN", "PSN-VS"],
         "The sheriff of {county} County, running the county jail's reentry desk and a victim notification line."),
        ("KCPD {hood} Community Action Team", "hood", ["PSN-OUT", "PSN-VS"],
         "Officers assigned to {hood} who work with residents and outreach workers on the blocks most affected."),
    ],
    K.PROSECUTION: [
        ("{county} County Prosecuting Attorney's Office", "county", ["PSN-VS", "PSN-SUD"],
         "Prosecutes state crimes in {county} County and runs a victim advocate program and a treatment court."),
        ("{town} Municipal Prosecutor's Office", "town", ["PSN-VS", "PSN-LEG"],
         "Prosecutes ordinance violations in {town} and offers a diversion docket for first offences."),
    ],
    K.COMMUNITY: [
        ("{hood} Neighborhood Association", "hood", ["PSN-MEN", "PSN-YTH", "PSN-FOOD"],
         "Residents of {hood} organising block walks, clean-ups, youth nights and a monthly resource fair."),
        ("{hood} Block Club Network", "hood", ["PSN-YTH", "PSN-MEN"],
         "Block captains across {hood} who look out for neighbours and run summer activities for children."),
        ("{place} Residents for Peace", "place", ["PSN-OUT", "PSN-MEN", "PSN-VS"],
         "Neighbours in {place} who hold vigils, walk hot spots and connect families hurt by violence to help."),
        ("{place} Youth Alliance", "place", ["PSN-YTH", "PSN-EDU", "PSN-MEN"],
         "Young people and adult allies in {place} running leadership programs, tutoring and a summer league."),
        ("{place} Community Coalition", "place", ["PSN-FOOD", "PSN-FAM", "PSN-BEN"],
         "A resident-led coalition in {place} with a food pantry, family events and help with benefits."),
    ],
    K.SERVICE_PROVIDER: [
        ("{place} Family Resource Center", "place", ["PSN-FAM", "PSN-BEN", "PSN-FIN", "PSN-FOOD"],
         "A family resource centre for {place}: parenting support, benefits help and emergency assistance."),
        ("{place} Workforce Partners", "place", ["PSN-EMP", "PSN-EDU", "PSN-TRN", "PSN-ID"],
         "Job training, certifications and fair-chance placement for job seekers in and around {place}."),
        ("{place} Recovery Services", "place", ["PSN-SUD", "PSN-MH", "PSN-HOU"],
         "Substance use treatment, counselling and recovery housing with peer coaches, based in {place}."),
        ("{place} Housing Partnership", "place", ["PSN-HOU", "PSN-REL", "PSN-BEN", "PSN-FIN"],
         "Shelter, rapid rehousing and rental help for households in {place} at risk of losing their home."),
        ("{place} Counseling Center", "place", ["PSN-MH", "PSN-FAM", "PSN-VS"],
         "Trauma-informed counselling for adults, young people and families in {place}, on a sliding fee scale."),
        ("{place} Reentry Network", "place", ["PSN-REN", "PSN-ID", "PSN-EMP", "PSN-HOU", "PSN-TRN"],
         "Support for people coming home to {place} from prison or jail, from the day of release onward."),
        ("{place} Community Health Clinic", "place", ["PSN-HLT", "PSN-MH", "PSN-SUD", "PSN-BEN"],
         "A community clinic in {place} with primary care, behavioural health and help enrolling in coverage."),
        ("{place} Legal Clinic", "place", ["PSN-LEG", "PSN-ID", "PSN-BEN"],
         "Free civil legal help for residents of {place}: expungement, licences, housing and family law."),
        ("{place} Learning Center", "place", ["PSN-EDU", "PSN-EMP", "PSN-YTH"],
         "Adult education, HiSET classes, English classes and tutoring for young people in {place}."),
        ("{place} Youth Services", "place", ["PSN-YTH", "PSN-MEN", "PSN-EDU", "PSN-TAT"],
         "After-school programs, mentoring and paid work for young people in {place}, and a fresh-start clinic."),
        ("{place} Victim Support Services", "place", ["PSN-VS", "PSN-REL", "PSN-MH", "PSN-LEG"],
         "Advocates for victims of violent crime in {place}: crisis support, safety planning and court help."),
    ],
    K.FAITH_BASED: [
        ("{hood} Baptist Church Outreach Ministry", "hood", ["PSN-FOOD", "PSN-MEN", "PSN-REN"],
         "A congregation in {hood} with a food pantry, mentors for young men and a reentry welcome team."),
        ("{place} Interfaith Alliance", "place", ["PSN-FOOD", "PSN-FIN", "PSN-HOU"],
         "Churches, mosques and synagogues of {place} sharing emergency help, a winter shelter and meals."),
        ("{place} Islamic Center Community Services", "place", ["PSN-FOOD", "PSN-BEN", "PSN-FAM"],
         "A mosque's community services in {place}: food boxes, benefits help and family support."),
        ("{hood} Methodist Church Community Ministries", "hood", ["PSN-YTH", "PSN-FOOD", "PSN-MH"],
         "A church in {hood} running a youth night, hot meals and a grief support circle."),
        ("{place} Catholic Charities Outreach", "place", ["PSN-HOU", "PSN-FIN", "PSN-FAM", "PSN-FOOD"],
         "Emergency assistance, rent help and family services from the parishes of {place}."),
    ],
    K.RESEARCH: [
        ("{place} Community Safety Research Project (fictional)", "place", [],
         "Researchers who study violence and what reduces it in {place}, and share maps with the task force."),
    ],
    K.GOVERNMENT: [
        ("{town} Parks and Recreation", "town", ["PSN-YTH", "PSN-EDU"],
         "The city of {town}'s community centres, summer camps, sports leagues and teen programs."),
        ("{county} County Health Department", "county", ["PSN-HLT", "PSN-MH", "PSN-SUD"],
         "Public health for {county} County: clinics, harm reduction, and a violence prevention program."),
        ("{county} County Juvenile Office", "county", ["PSN-YTH", "PSN-FAM", "PSN-MEN"],
         "Juvenile officers of {county} County, with diversion, family support and mentoring for young people."),
        ("{town} Municipal Court Diversion Program", "town", ["PSN-REN", "PSN-SUD", "PSN-LEG"],
         "A diversion program of the {town} municipal court linking defendants to treatment and legal help."),
        ("{town} Neighborhood Services Department", "town", ["PSN-BEN", "PSN-FOOD", "PSN-HOU"],
         "The city of {town}'s help for residents: utility assistance, home repair and food programs."),
    ],
    K.OTHER: [
        ("{place} Business Alliance", "place", ["PSN-EMP"],
         "Employers of {place} who hire people with a record and mentor them on the job."),
        ("{place} Arts Collective", "place", ["PSN-YTH", "PSN-EDU"],
         "Artists in {place} teaching music, film and murals to young people."),
        ("{place} Community Foundation", "place", ["PSN-FIN", "PSN-FAM"],
         "A community foundation making small emergency grants to families in {place}."),
        ("{place} Volunteer Corps", "place", ["PSN-FOOD", "PSN-TRN"],
         "Volunteers in {place} who deliver groceries and drive neighbours to appointments."),
    ],
}  # fmt: skip

# How often each kind comes among the generated partners, and how many services (relative) it offers.
KIND_MIX = {
    K.SERVICE_PROVIDER: (40, 10),
    K.COMMUNITY: (18, 4),
    K.FAITH_BASED: (14, 4),
    K.GOVERNMENT: (8, 4),
    K.LAW_ENFORCEMENT: (6, 1),
    K.OTHER: (6, 2),
    K.PROSECUTION: (3, 1),
    K.RESEARCH: (3, 0),
}

OTHER_LANGUAGES = ["vi", "so", "ar", "sw", "my", "ne", "fr", "zh", "am", "ti", "ps", "fa", "ru", "uk", "ht", "ko"]


def _kind_sequence(count: int) -> list[str]:
    """``count`` kinds in the proportions of KIND_MIX, interleaved (smooth weighted round robin), so that even a
    short prefix holds every kind."""
    weights = {kind: share for kind, (share, _) in KIND_MIX.items()}
    total = sum(weights.values())
    current = dict.fromkeys(weights, 0)
    kinds = []
    for _ in range(count):
        for kind, weight in weights.items():
            current[kind] += weight
        best = max(current, key=current.__getitem__)
        current[best] -= total
        kinds.append(best)
    return kinds


def _split(total: int, weights: list[float]) -> list[int]:
    """``total`` split in proportion to ``weights``, in whole numbers adding up to ``total`` (largest remainder)."""
    if total <= 0 or not any(weights):
        return [0] * len(weights)
    scale = total / sum(weights)
    shares = [weight * scale for weight in weights]
    counts = [int(share) for share in shares]
    by_remainder = sorted(range(len(weights)), key=lambda i: (counts[i] - shares[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _place(rng: random.Random, pool: str) -> dict[str, str]:
    """Values for a name pattern and the partner's home: its place, city and ZIP."""
    if pool == "county":
        county, seat, zip_code = rng.choice(COUNTIES)
        return {"county": county, "place": f"{county} County", "city": seat, "zip": zip_code}
    if pool == "town" or (pool == "place" and rng.random() < 0.35):
        town, zip_code, _county = rng.choice(TOWNS)
        return {"town": town, "place": town, "city": town, "zip": zip_code}
    hood, zip_code = rng.choice(NEIGHBOURHOODS)
    return {"hood": hood, "place": hood, "city": "Kansas City", "zip": zip_code}


def _sites(rng: random.Random, home: dict[str, str], count: int) -> list[tuple[str, str, str]]:
    """``count`` distinct places (name, city, ZIP) where a partner works, its home first."""
    sites = [(home["place"], home["city"], home["zip"])]
    others = [(hood, "Kansas City", zip_code) for hood, zip_code in NEIGHBOURHOODS]
    others += [(town, town, zip_code) for town, zip_code, _ in TOWNS]
    for site in rng.sample(others, len(others)):
        if len(sites) >= count:
            break
        if site[0] != home["place"]:
            sites.append(site)
    return sites


def _generated_partners(scale: Scale, taken: set[str], first_index: int) -> list[PartnerSpec]:
    """The partners beyond the hand-written ones, with services up to ``scale.services`` in all."""
    extra_partners = max(scale.partners - SMALL.partners, 0)
    extra_services = max(scale.services - SMALL.services, 0)
    if extra_services and not extra_partners:
        raise ValueError("More services than the hand-written directory needs more partners too.")
    rng = random.Random(SEED + 1)  # noqa: S311 - demo data, not security
    kinds = _kind_sequence(extra_partners)
    weights = [KIND_MIX[kind][1] * rng.uniform(0.6, 1.4) for kind in kinds]
    service_counts = _split(extra_services, weights)
    if extra_services and sum(service_counts) != extra_services:  # only research partners: none offer services
        raise ValueError("These partners offer no services.")
    specs = []
    for offset, (kind, n_services) in enumerate(zip(kinds, service_counts, strict=True)):
        for _attempt in range(1000):
            pattern, pool, focus, description = rng.choice(ORGANISATIONS[kind])
            home = _place(rng, pool)
            name = pattern.format(**home)
            if name not in taken:
                break
        else:  # pragma: no cover - the word lists hold thousands of names
            raise ValueError(f"Not enough distinct names for {extra_partners} generated partners.")
        taken.add(name)
        spec = _generated_partner(rng, first_index + offset, name, kind, description.format(**home), home)
        _add_services(rng, spec, home, focus, n_services)
        specs.append(spec)
    return specs


def _generated_partner(
    rng: random.Random, index: int, name: str, kind: str, description: str, home: dict[str, str]
) -> PartnerSpec:
    domain = slugify(name.replace("'", ""))[:40].strip("-") + ".example.org"
    languages = ["en"]
    if rng.random() < 0.6:
        languages.append("es")
    languages += rng.sample(OTHER_LANGUAGES, rng.choice([0, 0, 0, 1, 1, 2, 3]))
    if rng.random() < 0.05:
        languages.append("asl")
    spec = PartnerSpec(
        name=name,
        kind=kind,
        description=description,
        address_1=_street(rng),
        city=home["city"],
        postal_code=home["zip"],
        phone=f"(816) 555-01{index % 100:02d}",
        email=f"info@{domain}",
        website=f"https://{domain}/",
        service_area=home["place"],
        languages=languages,
    )
    for first, last in _two_people(rng):
        spec.contacts.append(
            ContactSpec(
                name=f"{first} {last}",
                title=rng.choice(TITLES[kind]),
                email=f"{first.lower()}.{last.lower()}@{domain}",
                phone=_phone(rng),
            )
        )
    return spec


def _add_services(rng: random.Random, spec: PartnerSpec, home: dict[str, str], focus: list[str], count: int) -> None:
    """``count`` services for a generated partner: its focus's service templates, at as many sites as it takes
    (each template once per site; the site's name is in the service's name when there are several)."""
    if not count or not focus:
        return
    templates = [(code, name, text) for code in focus for name, text in SERVICES[code]]
    rng.shuffle(templates)
    sites = _sites(rng, home, -(-count // len(templates)) + (1 if rng.random() < 0.3 else 0))
    domain = spec.website.removeprefix("https://").rstrip("/")
    extra = [lang for lang in spec.languages if lang != "en"]
    at_site: dict[str, list[str]] = {site[0]: [] for site in sites}
    for i in range(count):
        code, template, text = templates[i % len(templates)]
        site = sites[i // len(templates)][0]
        service_name = f"{template} ({site})" if len(sites) > 1 else template
        others = [c for c in focus if c != code]
        contact = rng.choice(spec.contacts)
        spec.services.append(
            ServiceSpec(
                name=service_name,
                description=f"{text} Offered in {site}.",
                categories=[code, rng.choice(others)] if others and rng.random() < 0.35 else [code],
                eligibility=rng.choice(ELIGIBILITY),
                capacity=rng.choice(CAPACITIES),
                accepting_referrals=rng.random() < 0.85,
                languages=["en", *rng.sample(extra, rng.randint(0, len(extra)))],
                hours=rng.choice(HOURS),
                contact_name=contact.name,
                contact_phone=contact.phone,
                contact_email=contact.email,
                url=f"https://{domain}/services/{slugify(service_name)}/",
            )
        )
        at_site[site].append(service_name)
    for place, city, zip_code in sites:
        if at_site[place]:
            spec.locations.append(
                LocationSpec(
                    name=f"{spec.name} – {place}" if len(sites) > 1 else f"{spec.name} main site",
                    address_1=spec.address_1 if place == home["place"] else _street(rng),
                    city=city,
                    postal_code=zip_code,
                    latitude=_coordinate(rng, KC_LATITUDE),
                    longitude=_coordinate(rng, KC_LONGITUDE),
                    services=at_site[place],
                )
            )


def _street(rng: random.Random) -> str:
    return f"{rng.randrange(100, 9900)} {rng.choice(STREETS)}"


def seed_directory(task_force: TaskForce, scale: Scale | None = None) -> dict[str, int]:
    """Write the demo directory at ``scale`` (default: small) into ``task_force``; returns how many rows of each
    kind were created.

    Call inside a transaction. Existing rows are matched by name (within the task force or the partner) and
    left as they are, except that blank partner fields are filled in; many-to-many links (languages,
    categories, service locations) are added only to rows created by this call.
    """
    specs = build_directory(scale)
    _ensure_languages()
    languages = dict(Language.objects.values_list("code", "pk"))
    terms = dict(TaxonomyTerm.objects.filter(task_force=task_force).values_list("code", "pk"))
    created = {"partners": 0, "services": 0, "locations": 0, "contacts": 0}

    # Partners.
    existing = {p.name: p for p in Partner.objects.filter(task_force=task_force)}
    new_partners, changed = [], []
    for spec in specs:
        partner = existing.get(spec.name)
        if partner is None:
            new_partners.append(Partner(task_force=task_force, name=spec.name, **spec.fields))
            continue
        blanks = {k: v for k, v in spec.fields.items() if k != "kind" and not getattr(partner, k)}
        if blanks:
            for key, value in blanks.items():
                setattr(partner, key, value)
            changed.append(partner)
    Partner.objects.bulk_create(new_partners, batch_size=BATCH)
    if changed:
        Partner.objects.bulk_update(changed, [k for k in specs[0].fields if k != "kind"], batch_size=BATCH)
    created["partners"] = len(new_partners)
    partners = dict(Partner.objects.filter(task_force=task_force).values_list("name", "pk"))
    with_languages = set(
        Partner.languages.through.objects.filter(partner__task_force=task_force).values_list("partner_id", flat=True)
    )
    Partner.languages.through.objects.bulk_create(
        [
            Partner.languages.through(partner_id=partners[spec.name], language_id=languages[code])
            for spec in specs
            if partners[spec.name] not in with_languages
            for code in spec.languages
        ],
        batch_size=BATCH,
    )

    # Services, with their categories and languages.
    existing_services = set(Service.objects.filter(task_force=task_force).values_list("partner_id", "name"))
    new_services, new_specs = [], {}
    for spec in specs:
        partner_id = partners[spec.name]
        for s in spec.services:
            if (partner_id, s.name) in existing_services:
                continue
            new_services.append(
                Service(
                    task_force=task_force,
                    partner_id=partner_id,
                    name=s.name,
                    description=s.description,
                    eligibility=s.eligibility,
                    capacity=s.capacity,
                    accepting_referrals=s.accepting_referrals,
                    hours=s.hours,
                    contact_name=s.contact_name,
                    contact_phone=s.contact_phone,
                    contact_email=s.contact_email,
                    url=s.url,
                )
            )
            new_specs[(partner_id, s.name)] = s
    Service.objects.bulk_create(new_services, batch_size=BATCH)
    created["services"] = len(new_services)
    service_ids = {
        (partner_id, name): pk
        for pk, partner_id, name in Service.objects.filter(task_force=task_force).values_list(
            "pk", "partner_id", "name"
        )
    }
    Service.categories.through.objects.bulk_create(
        [
            Service.categories.through(service_id=service_ids[key], taxonomyterm_id=terms[code])
            for key, s in new_specs.items()
            for code in s.categories
            if code in terms
        ],
        batch_size=BATCH,
    )
    Service.languages.through.objects.bulk_create(
        [
            Service.languages.through(service_id=service_ids[key], language_id=languages[code])
            for key, s in new_specs.items()
            for code in s.languages
        ],
        batch_size=BATCH,
    )

    # Locations, linked to their partner's services.
    existing_locations = set(Location.objects.filter(task_force=task_force).values_list("partner_id", "name"))
    new_locations = []
    for spec in specs:
        partner_id = partners[spec.name]
        for loc in spec.locations:
            if (partner_id, loc.name) not in existing_locations:
                new_locations.append(
                    Location(
                        task_force=task_force,
                        partner_id=partner_id,
                        name=loc.name,
                        address_1=loc.address_1,
                        city=loc.city,
                        state_province="MO",
                        postal_code=loc.postal_code,
                        latitude=loc.latitude,
                        longitude=loc.longitude,
                    )
                )
    Location.objects.bulk_create(new_locations, batch_size=BATCH)
    created["locations"] = len(new_locations)
    new_location_keys = {(loc.partner_id, loc.name) for loc in new_locations}
    location_ids = {
        (partner_id, name): pk
        for pk, partner_id, name in Location.objects.filter(task_force=task_force).values_list(
            "pk", "partner_id", "name"
        )
    }
    links = []
    for spec in specs:
        partner_id = partners[spec.name]
        for loc in spec.locations:
            location_new = (partner_id, loc.name) in new_location_keys
            for service_name in loc.services:
                key = (partner_id, service_name)
                if key in service_ids and (location_new or key in new_specs):
                    links.append(
                        Location.services.through(
                            location_id=location_ids[(partner_id, loc.name)], service_id=service_ids[key]
                        )
                    )
    Location.services.through.objects.bulk_create(links, ignore_conflicts=True, batch_size=BATCH)

    # Contacts.
    existing_contacts = set(Contact.objects.filter(task_force=task_force).values_list("partner_id", "name"))
    new_contacts = [
        Contact(
            task_force=task_force,
            partner_id=partners[spec.name],
            name=c.name,
            title=c.title,
            email=c.email,
            phone=c.phone,
        )
        for spec in specs
        for c in spec.contacts
        if (partners[spec.name], c.name) not in existing_contacts
    ]
    Contact.objects.bulk_create(new_contacts, batch_size=BATCH)
    created["contacts"] = len(new_contacts)
    return created


def _ensure_languages() -> None:
    existing = set(Language.objects.values_list("code", flat=True))
    Language.objects.bulk_create([Language(code=c, name=n) for c, n in LANGUAGES if c not in existing])
