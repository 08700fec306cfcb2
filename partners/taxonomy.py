"""The need/service taxonomy every task force starts with, and the languages the directory offers.

Codes are stable (referrals, reports and HSDS exports refer to them); names can be edited per task force.
"""

DEFAULT_TAXONOMY: list[tuple[str, str, str]] = [
    ("PSN-EMP", "Job training and employment", "Job readiness, vocational training, placement, transitional jobs."),
    ("PSN-MEN", "Mentoring", "Credible messengers, life coaching, youth and adult mentoring."),
    ("PSN-HOU", "Housing", "Emergency shelter, transitional and permanent housing, rental help."),
    ("PSN-MH", "Mental health", "Counselling, trauma-informed therapy, crisis care, psychiatric services."),
    ("PSN-SUD", "Substance use", "Treatment, recovery support, harm reduction, detox."),
    ("PSN-VS", "Victim services", "Advocacy, crisis support and compensation for victims of crime."),
    ("PSN-REL", "Relocation", "Emergency relocation of people at risk of retaliation."),
    ("PSN-TAT", "Tattoo removal", "Removal of gang-related or visible tattoos."),
    ("PSN-EDU", "Education", "GED/HSE, adult basic education, college and school re-engagement."),
    ("PSN-LEG", "Legal aid", "Civil legal help, expungement, record clearing, child support."),
    ("PSN-BEN", "Public benefits", "Help applying for SNAP, Medicaid, SSI and other benefits."),
    ("PSN-TRN", "Transportation", "Bus passes, rides to appointments, driver's licence reinstatement."),
    ("PSN-FOOD", "Food", "Food pantries, meals, groceries."),
    ("PSN-ID", "ID documents", "State ID, birth certificate, Social Security card."),
    ("PSN-FAM", "Family services", "Parenting support, child care, family reunification, mediation."),
    ("PSN-HLT", "Health care", "Primary care, hospital-based violence intervention, dental, vision."),
    ("PSN-REN", "Reentry support", "Support after release from prison or jail."),
    ("PSN-OUT", "Street outreach", "Violence interruption and outreach to people at highest risk."),
    ("PSN-YTH", "Youth programs", "After-school, summer jobs, sports and recreation."),
    ("PSN-FIN", "Financial help", "Emergency cash assistance, financial coaching, banking access."),
]

LANGUAGES: list[tuple[str, str]] = [
    ("en", "English"),
    ("es", "Spanish"),
    ("vi", "Vietnamese"),
    ("so", "Somali"),
    ("ar", "Arabic"),
    ("sw", "Swahili"),
    ("fr", "French"),
    ("zh", "Chinese"),
    ("my", "Burmese"),
    ("ne", "Nepali"),
    ("am", "Amharic"),
    ("ti", "Tigrinya"),
    ("ps", "Pashto"),
    ("fa", "Persian"),
    ("ru", "Russian"),
    ("uk", "Ukrainian"),
    ("ht", "Haitian Creole"),
    ("pt", "Portuguese"),
    ("ko", "Korean"),
    ("asl", "American Sign Language"),
]
