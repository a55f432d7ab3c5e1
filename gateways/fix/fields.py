"""What the gateway accepts: the messages it handles, their required tags, and the format of each
tag's value. `check` answers a session-level Reject's reason for a message that breaks them."""

import re
import string
from dataclasses import dataclass

from gateways.fix.codec import Message

# SessionRejectReason (373)
INVALID_TAG = 0
REQUIRED_TAG_MISSING = 1
TAG_NOT_DEFINED = 2
VALUE_INCORRECT = 5
INCORRECT_DATA_FORMAT = 6
COMP_ID_PROBLEM = 9
SENDING_TIME_ACCURACY = 10
INVALID_MSG_TYPE = 11
OTHER = 99

SESSION_TYPES = frozenset("0 1 2 3 4 5 A".split())
HANDLED_APPLICATION = {
    "order_entry": frozenset("D F G H q".split()),
    "drop_copy": frozenset(),
    "market_data": frozenset("V".split()),
}
# Every MsgType FIX 4.4 defines: one of these we do not handle is refused with a BusinessMessageReject,
# anything else is an invalid MsgType (Reject).
FIX44_TYPES = frozenset(
    list("0123456789ABCDEFGHJKLMNPQRSTVWXYZ") + list("abcdefghijklmnopqrstuvwxyz")
    + ["A" + c for c in string.ascii_uppercase] + ["B" + c for c in "ABCDEFGH"])

REQUIRED = {
    "A": (98, 108),
    "1": (112,),
    "2": (7, 16),
    "4": (36,),
    "D": (11, 55, 54, 60, 38, 40),
    "F": (41, 11, 55, 54, 60),
    "G": (41, 11, 55, 54, 60, 38, 40),
    "H": (11, 55, 54),
    "q": (11, 530, 60),
    "V": (262, 263, 264, 267, 146),
}

_INT = re.compile(r"-?\d{1,18}\Z")
_SEQNUM = re.compile(r"\d{1,18}\Z")
_DECIMAL = re.compile(r"-?(\d{1,18}(\.\d{0,12})?|\.\d{1,12})\Z")
_TIMESTAMP = re.compile(r"\d{8}-\d{2}:\d{2}:\d{2}(\.\d{3}(\d{3})?)?\Z")
_BOOL = frozenset("YN")

FORMATS = {
    34: _SEQNUM, 7: _SEQNUM, 16: _SEQNUM, 36: _SEQNUM, 45: _SEQNUM,
    108: _INT, 98: _INT, 264: _INT, 265: _INT, 263: _INT, 267: _INT, 146: _INT, 530: _INT, 268: _INT,
    38: _DECIMAL, 44: _DECIMAL, 99: _DECIMAL, 110: _DECIMAL,
    52: _TIMESTAMP, 60: _TIMESTAMP, 122: _TIMESTAMP,
}
BOOLEANS = (43, 97, 123, 141)
ENUMS = {
    54: frozenset("123456789ABCDEFG"),
    40: frozenset("123456789ABCDEFGHIJKLMP"),
    59: frozenset("01234567"),
    263: frozenset("012"),
    269: frozenset("0123456789ABCDEFGHJKLMNOPQ"),
    530: frozenset("1234567"),
    98: frozenset("0123456"),
}


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a message is rejected: SessionRejectReason, the tag at fault, the text."""

    reason: int
    tag: int | None
    text: str


def check(message: Message) -> Problem | None:
    """The first thing wrong with a message of a known MsgType: a required tag missing, a value in
    the wrong format or outside its enumeration. None when it is fine."""
    for tag in REQUIRED.get(message.msg_type, ()):
        if not message.get(tag):
            return Problem(REQUIRED_TAG_MISSING, tag, f"Required tag missing: {tag}")
    for tag, value in message.pairs:
        if value == "":
            return Problem(TAG_NOT_DEFINED if tag > 5000 else VALUE_INCORRECT, tag, f"Tag specified without a value: {tag}")
        pattern = FORMATS.get(tag)
        if pattern is not None and not pattern.match(value):
            return Problem(INCORRECT_DATA_FORMAT, tag, f"Incorrect data format for value of tag {tag}")
        if tag in BOOLEANS and value not in _BOOL:
            return Problem(INCORRECT_DATA_FORMAT, tag, f"Incorrect data format for value of tag {tag}: Y or N")
        allowed = ENUMS.get(tag)
        if allowed is not None and value not in allowed:
            return Problem(VALUE_INCORRECT, tag, f"Value is incorrect (out of range) for tag {tag}")
    return None
