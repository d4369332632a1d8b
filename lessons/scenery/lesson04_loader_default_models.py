"""Two small models whose relationships choose their loader in the model, for lesson 04.

``Book.author`` is ``lazy="selectin"``: every query for books brings their authors along (Eloquent's
``protected $with = ['author'];``). ``Author.books`` is ``lazy="raise"``: reading it without a loader option
raises, awaited or not (Eloquent's ``preventLazyLoading()``, for one relationship). They have a base of their
own and tables named ``l04_…``, so they never touch the course's blog.

>>> from sqlalchemy import inspect
>>> inspect(Author).relationships["books"].lazy, inspect(Book).relationships["author"].lazy
('raise', 'selectin')
>>> await add_authors_and_books(db)                   # doctest: +SKIP
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, MetaData, String
from sqlalchemy.ext.asyncio import AsyncAttrs
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from lessons.core.database import LessonDatabase


class LoaderBase(AsyncAttrs, DeclarativeBase):
    metadata = MetaData()


class Author(LoaderBase):
    __tablename__ = "l04_authors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    books: Mapped[list[Book]] = relationship(back_populates="author", lazy="raise", order_by="Book.id")

    def __repr__(self) -> str:
        return f"Author(id={self.id!r}, name={self.name!r})"


class Book(LoaderBase):
    __tablename__ = "l04_books"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    author_id: Mapped[int] = mapped_column(ForeignKey("l04_authors.id"))
    author: Mapped[Author] = relationship(back_populates="books", lazy="selectin")

    def __repr__(self) -> str:
        return f"Book(id={self.id!r}, title={self.title!r})"


async def add_authors_and_books(db: LessonDatabase) -> None:
    """Create the two tables in ``db`` and add two authors with three books between them."""
    async with db.engine.begin() as conn:
        await conn.run_sync(LoaderBase.metadata.create_all)
    async with db.Session() as session:
        session.add_all(
            [
                Author(
                    name="Ada Lovelace", books=[Book(title="Notes on the Engine"), Book(title="Sketch of the Engine")]
                ),
                Author(name="Grace Hopper", books=[Book(title="A-0 Manual")]),
            ]
        )
        await session.commit()
