"""A clock that tests set by assignment, on top of time-machine: `clock.moment = at(...)`.

Everything the code reads stands still at that moment (timezone.now(), date.today(),
datetime.now(), time.time()) until the test sets another.
"""

import datetime


class Clock:
    def __init__(self, time_machine, moment: datetime.datetime):
        self._time_machine = time_machine
        self.moment = moment

    @property
    def moment(self) -> datetime.datetime:
        return self._moment

    @moment.setter
    def moment(self, value: datetime.datetime) -> None:
        self._moment = value
        self._time_machine.move_to(value, tick=False)
