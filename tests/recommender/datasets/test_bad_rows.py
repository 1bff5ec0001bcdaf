"""The learner-log readers name the line of a row they cannot read: each file here is a
header, a good row, then the bad row (line 3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from recommender.datasets.akt import LayoutError
from recommender.datasets.assistments import read_assistments
from recommender.datasets.junyi import read_junyi
from recommender.datasets.pykt import read_pykt

# reader: (read, file name, header, a good row)
FILES = {
    "assistments": (read_assistments, "2015.csv", "user_id,log_id,sequence_id,correct", "50121,167478299,7014,1"),
    "junyi": (read_junyi, "log.csv", "user_id,exercise,time_done,correct",
              "25081,adding_fractions,1372820191007440,false"),
    "pykt": (read_pykt, "train_valid.csv", "fold,uid,questions,concepts,responses", '0,0,"1,2,3","3,3,3","1,0,1"'),
}  # fmt: skip
BAD_ROWS = [
    ("assistments", "50121,167478300,7014,2", r":3: correct is '2', not a number in \[0, 1\]"),
    ("assistments", "50121,167478300,7014,yes", r":3: correct is 'yes'"),
    ("assistments", ",167478300,7014,1", r":3: no learner id \(user_id\)"),
    ("assistments", "50121,abc,7014,1", r":3: log_id 'abc' is not a number"),
    ("junyi", "25081,adding_fractions,1372820215034890,maybe", r":3: correct is 'maybe', not true or false"),
    ("junyi", "25081,adding_fractions,,true", r":3: time_done '' is not a number"),
    ("junyi", ",adding_fractions,1372820215034890,true", r":3: no user_id"),
    ("pykt", '0,1,"1,2","3,3","1,0,1"', r":3: the lists have different lengths"),
    ("pykt", '0,1,"1,2,3","3,3,3","1,2,1"', r":3: a scored response is '2', not 0 or 1"),
    ("pykt", 'x,1,"1,2,3","3,3,3","1,0,1"', r":3: fold 'x' is not a number"),
]


@pytest.mark.parametrize(("reader", "row", "message"), BAD_ROWS)
def test_bad_rows_name_their_line(tmp_path: Path, reader: str, row: str, message: str) -> None:
    read, name, header, good = FILES[reader]
    path = tmp_path / name
    path.write_text(f"{header}\n{good}\n{row}\n")
    with pytest.raises(LayoutError, match=message):
        read(path)
