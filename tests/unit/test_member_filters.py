"""开头是 (FilterPrefix): an index-served range plus LIKE, exact on edge cases."""
import pytest
from sqlalchemy import Column, Integer, String, create_engine, select
from sqlalchemy.orm import Session, declarative_base

from app.views.member_base import FilterPrefix, prefix_upper_bound

Base = declarative_base()


class Row(Base):
    __tablename__ = "prefix_row"
    id = Column(Integer, primary_key=True)
    name = Column(String(20), index=True)


class FakeModel:
    """Just enough of SQLAInterface for the filter."""

    obj = Row

    def get_related_model(self, name):  # pragma: no cover - not a relation
        raise KeyError(name)


NAMES = ["ab", "abc", "abz", "ab%x", "ab_x", "ac", "Ab", "a", "王小明", "王", "王大", "汪",
         "1370000", "1370001", "1371"]


@pytest.fixture(scope="module")
def session():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all(Row(name=n) for n in NAMES)
        session.commit()
        yield session


@pytest.mark.parametrize("prefix, expected", [
    ("ab", {"ab", "abc", "abz", "ab%x", "ab_x"}),
    ("ab%", {"ab%x"}),           # wildcards in the value are plain characters
    ("ab_", {"ab_x"}),
    ("王", {"王小明", "王", "王大"}),
    ("137000", {"1370000", "1370001"}),
    ("1371", {"1371"}),
    ("zz", set()),
])
def test_prefix_matches_exactly(session, prefix, expected):
    flt = FilterPrefix.__new__(FilterPrefix)
    flt.model, flt.column_name = Row, "name"
    query = flt.apply(select(Row.name), prefix)
    assert set(session.execute(query).scalars()) == expected


def test_upper_bound():
    assert prefix_upper_bound("abc") == "abd"
    assert prefix_upper_bound("王") == "玌"
    assert prefix_upper_bound("a\U0010FFFF") is None
    assert prefix_upper_bound("a\ud7ff") is None
