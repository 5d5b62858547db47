"""The notices a record carries when it leaves the clinic.

42 CFR § 2.32(a) (as amended by the 2024 final rule, 89 FR 12472) requires each disclosure
made with the patient's written consent to carry one of two statements. A released document
carries Statement 1 in full on its first page and Statement 2, the short form, in the footer of
every page (records/static/records/print.css). The words are the regulation's: do not edit them.
"""

PART2_NOTICE_TITLE = "Notice to the recipient: 42 CFR part 2 (42 CFR § 2.32)"

PART2_NOTICE_OPENING = (
    "This record which has been disclosed to you is protected by Federal confidentiality rules "
    "(42 CFR part 2). These rules prohibit you from using or disclosing this record, or testimony "
    "that describes the information contained in this record, in any civil, criminal, "
    "administrative, or legislative proceedings by any Federal, State, or local authority, "
    "against the patient, unless authorized by the consent of the patient, except as provided at "
    "42 CFR 2.12(c)(5) or as authorized by a court in accordance with 42 CFR 2.64 or 2.65. In "
    "addition, the Federal rules prohibit you from making any other use or disclosure of this "
    "record unless at least one of the following applies:"
)

PART2_NOTICE_CASES = (
    "Further use or disclosure is expressly permitted by the written consent of the individual "
    "whose information is being disclosed in this record or as otherwise permitted by 42 CFR "
    "part 2.",
    "You are a covered entity or business associate and have received the record for treatment, "
    "payment, or health care operations, or",
    "You have received the record from a covered entity or business associate as permitted by "
    "45 CFR part 164, subparts A and E.",
)

PART2_NOTICE_CLOSING = (
    "A general authorization for the release of medical or other information is NOT sufficient "
    "to meet the required elements of written consent to further use or redisclose the record "
    "(see 42 CFR 2.31)."
)

# Statement 2, § 2.32(a)(2): the short form, repeated in every page's footer.
PART2_NOTICE_SHORT = "42 CFR part 2 prohibits unauthorized use or disclosure of these records."


# The cases as the regulation numbers them: ("i", "Further use …"), …
PART2_NOTICE_NUMBERED_CASES = tuple(zip(("i", "ii", "iii"), PART2_NOTICE_CASES, strict=True))


def part2_notice_text() -> str:
    """Statement 1 as one paragraph, its cases numbered (i) to (iii) as in the regulation."""
    cases = " ".join(f"({numeral}) {case}" for numeral, case in PART2_NOTICE_NUMBERED_CASES)
    return f"{PART2_NOTICE_OPENING} {cases} {PART2_NOTICE_CLOSING}"
