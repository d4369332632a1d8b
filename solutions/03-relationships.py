# %% [markdown]
# # 03 · Relationships
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 02 · CRUD](02-crud.ipynb) · Next: [04 · Loading and N+1 →](04-loading-and-n-plus-1.ipynb)
#
# In Eloquent a relationship is a method, and `$user->posts` quietly runs a query the first time you read it.
# SQLAlchemy declares each relationship once with `relationship()`, keeps both sides in step in memory, and
# works out at flush time which SQL a change needs. Under asyncio it never loads anything behind your back. This
# lesson reads the SQL behind each relationship and each cascade, so you can predict it.
#
# **You will learn**
# - `hasMany`/`belongsTo`, `hasOne` and `belongsToMany` as `relationship()` with `back_populates`
# - why reading an unloaded relationship raises under asyncio (the default loader is `select`), and the two fixes
# - the real cascade option names, and what `remove()` does with and without `delete-orphan`
# - how `passive_deletes=True` with `ON DELETE CASCADE` hands deleting the children to the database
#
# **Time:** about 45 minutes.

# %% [markdown]
# A fresh copy of the seeded blog, private to this lesson, with the clock frozen at 2025-01-15 09:00 UTC:

# %%
from lessons import clock, fresh_database

clock.freeze()
db = await fresh_database("03-relationships")
db

# %% [markdown]
# ## One-to-many: `hasMany` and `belongsTo`
#
# **In Laravel**
#
# ```php
# class Author extends Model {
#     public function articles(): HasMany { return $this->hasMany(Article::class); }
# }
# class Article extends Model {
#     public function author(): BelongsTo { return $this->belongsTo(Author::class); }
# }
# ```
#
# **In SQLAlchemy** the foreign key is an ordinary column, and each direction is a `relationship()`.
# `back_populates` names the attribute on the other side, so changing one side updates the other.
# These two models are this lesson's own (a `DeclarativeBase` of their own, tables named `l03_…`): break them freely.

# %%
from sqlalchemy import ForeignKey, MetaData, String
from sqlalchemy.ext.asyncio import AsyncAttrs
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class LessonBase(AsyncAttrs, DeclarativeBase):
    metadata = MetaData()


class Author(LessonBase):
    __tablename__ = "l03_authors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    articles: Mapped[list["Article"]] = relationship(back_populates="author")

    def __repr__(self) -> str:
        return f"Author(id={self.id!r}, name={self.name!r})"


class Article(LessonBase):
    __tablename__ = "l03_articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("l03_authors.id"))
    author: Mapped[Author | None] = relationship(back_populates="articles")

    def __repr__(self) -> str:
        return f"Article(id={self.id!r}, title={self.title!r}, author_id={self.author_id!r})"


# %% [markdown]
# The table is what a Laravel migration with `$table->foreignId('author_id')->nullable()->constrained()` makes:

# %%
from sqlalchemy.schema import CreateTable

from lessons import to_sql

print(to_sql(CreateTable(Article.__table__)))
async with db.engine.begin() as conn:
    await conn.run_sync(LessonBase.metadata.create_all)


# %% [markdown]
# ### `back_populates`: both sides, in memory
#
# Append an article to an author, and the article's `author` is set too, before any SQL runs. The foreign key
# itself stays `None` until the session flushes.
#
# Eloquent's `$author->articles()->save($article)` writes at once. Here you add the *author* alone: the
# default cascade `save-update` brings the article along, and the flush fills in `author_id`:

# %%
from lessons import show_sql

ada = Author(name="Ada")
notes = Article(title="Notes on the Analytical Engine")
ada.articles.append(notes)
print("before the flush:", notes.author, notes.author_id)
async with db.Session() as session:
    session.add(ada)
    with show_sql():
        await session.commit()
    session.add_all([Article(title="Sketch of the Engine", author=ada), Article(title="Note G", author=ada)])
    await session.commit()  # two more articles, for later
notes

# %% [markdown]
# ## Reading a relationship under asyncio
#
# **In Laravel** `$user->posts` runs `select * from posts where user_id = ?` the first time you read it.
#
# **In SQLAlchemy** the default loader is the same idea, `lazy="select"`: a SELECT on first access (the chapter
# says the default is `selectin`; the mapper says otherwise). But a SELECT on attribute access would be I/O
# without an `await`, which asyncio cannot do:
#
# ### Careful: a lazy load raises under asyncio

# %%
from sqlalchemy import inspect
from sqlalchemy.exc import MissingGreenlet

from lessons import User, show_error

print("default loader:", inspect(User).relationships["posts"].lazy)
async with db.Session() as session:
    user = await session.get(User, 7)
    with show_error(expected=MissingGreenlet):
        print(len(user.posts))


# %% [markdown]
# The error is `MissingGreenlet` (wrapped in a `StatementError` on SQLite and MariaDB, as lesson 00 showed).
# Two fixes: load it in the query, like
# `User::with('posts')->find(7)`; or load it later with an explicit `await`, like `$user->load('posts')`
# (`AsyncAttrs` on the course's `Base` adds `awaitable_attrs`):

# %%
from sqlalchemy import select
from sqlalchemy.orm import selectinload

async with db.Session() as session:
    with show_sql():
        user = await session.scalar(select(User).options(selectinload(User.posts)).where(User.id == 7))
    print(len(user.posts), "posts, the first:", user.posts[0])

async with db.Session() as session:
    user = await session.get(User, 7)
    with show_sql():
        posts = await user.awaitable_attrs.posts
    print(len(posts), "posts")


# %% [markdown]
# Lesson 04 compares the loading strategies and counts their statements.
#
# ## One-to-one: `hasOne`
#
# **In Laravel**
#
# ```php
# public function profile(): HasOne { return $this->hasOne(Profile::class); }
# ```
#
# **In SQLAlchemy** the course's model says `profile: Mapped[Profile | None] = relationship(...)`. The annotation
# names one object, not a list, so SQLAlchemy sets `uselist=False` for you (the chapter writes it out). The
# foreign key lives on `profiles`, and a UNIQUE `profiles.user_id` keeps it one per user in the database too.
# (The direction says where the foreign key sits, so `hasOne` is `ONETOMANY` like `hasMany`; `uselist=False`
# makes it one-to-one.)

# %%
profile = inspect(User).relationships["profile"]
print("uselist:", profile.uselist, "· direction:", profile.direction.name)

async with db.Session() as session:
    stmt = select(User).options(selectinload(User.profile)).where(User.id.in_([1, 2])).order_by(User.id)
    users = (await session.scalars(stmt)).all()
[(user.name, user.profile) for user in users]

# %% [markdown]
# ### Careful: replacing a one-to-one
#
# Laravel would `$user->profile()->delete()` then `create()`. Assigning a new profile looks like the same thing,
# and `delete-orphan` will delete the old one, but the flush runs its INSERT before its DELETE:

# %%
from sqlalchemy.exc import IntegrityError

from lessons import Profile

async with db.Session() as session:
    user = await session.scalar(select(User).options(selectinload(User.profile)).where(User.id == 1))
    user.profile = Profile(bio="Rewritten from scratch")
    with show_sql(), show_error(expected=IntegrityError):
        await session.commit()


# %% [markdown]
# The new row meets the old one's `user_id` in the UNIQUE index. Delete the old profile and flush first (or
# simply edit the existing profile in place):

# %%
async with db.Session() as session:
    user = await session.scalar(select(User).options(selectinload(User.profile)).where(User.id == 1))
    with show_sql():
        await session.delete(user.profile)
        await session.flush()
        user.profile = Profile(bio="Rewritten from scratch")
        await session.commit()
user.profile

# %% [markdown]
# ## Many-to-many: `belongsToMany`
#
# **In Laravel**
#
# ```php
# public function roles(): BelongsToMany { return $this->belongsToMany(Role::class, 'user_roles'); }
#
# $user->roles()->attach($editor->id);
# $user->roles()->detach($editor->id);
# ```
#
# **In SQLAlchemy** the pivot table is a plain `Table` with no class of its own, named in
# `relationship(secondary=user_roles, back_populates="users")`. You never write pivot rows yourself: append to
# the collection and the flush INSERTs one, remove and it DELETEs it.

# %%
from lessons import Role, user_roles

print(to_sql(CreateTable(user_roles)))

async with db.Session() as session:
    user = await session.scalar(select(User).options(selectinload(User.roles)).where(User.id == 7))
    editor = await session.scalar(select(Role).where(Role.name == "editor"))
    print("before:", user.roles)
    user.roles.append(editor)
    with show_sql():
        await session.commit()
    user.roles.remove(editor)
    with show_sql():
        await session.commit()
    print("after:", user.roles)


# %% [markdown]
# ## Cascades: what follows the parent
#
# A relationship's `cascade` says which session operations travel from parent to children; the default is
# `save-update, merge`. The chapter writes `cascade="all, delete-orphan"`, where `all` is shorthand for
# `save-update, merge, refresh-expire, expunge, delete`. The course's models list theirs in `CHILD_CASCADE`: all
# of those but `refresh-expire`, plus `delete-orphan`, as SQLAlchemy's asyncio guide advises (a Careful below
# shows why).

# %%
from lessons import CHILD_CASCADE

print("Author.articles (default):", inspect(Author).relationships["articles"].cascade)
print("CHILD_CASCADE:", CHILD_CASCADE)
print("User.posts:", inspect(User).relationships["posts"].cascade)

# %% [markdown]
# ### Careful: it is `refresh-expire`, not `refresh`
#
# The chapter lists `all` as "save-update, merge, refresh, expunge, delete". There is no `refresh` option, and
# SQLAlchemy refuses the name as soon as the relationship is built:

# %%
from sqlalchemy.exc import ArgumentError

with show_error(expected=ArgumentError):
    relationship("Article", cascade="save-update, refresh")


# %% [markdown]
# ### `remove()` without `delete-orphan`: the child is detached
#
# **In Laravel**
#
# ```php
# $article->author()->dissociate();
# $article->save();
# ```
#
# **In SQLAlchemy** removing an article from a collection without `delete-orphan` does exactly that:

# %%
async with db.Session() as session:
    ada = await session.scalar(select(Author).options(selectinload(Author.articles)).where(Author.name == "Ada"))
    with show_sql():
        ada.articles.remove(ada.articles[0])
        await session.commit()
    rows = (await session.execute(select(Article.id, Article.title, Article.author_id).order_by(Article.id))).all()
rows


# %% [markdown]
# One UPDATE sets `author_id` to NULL. The row stays, belonging to nobody (the chapter's "still exists in DB").

# %% [markdown]
# ### Careful: without `delete-orphan`, a NOT NULL foreign key refuses
#
# The chapter's own example is `cascade="all"` and says the removed child "still exists". That holds only while
# the foreign key may be NULL. A shelf whose books must have a shelf:

# %%
class Shelf(LessonBase):
    __tablename__ = "l03_shelves"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    books: Mapped[list["Book"]] = relationship(back_populates="shelf", cascade="all")


class Book(LessonBase):
    __tablename__ = "l03_books"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    shelf_id: Mapped[int] = mapped_column(ForeignKey("l03_shelves.id"))
    shelf: Mapped[Shelf] = relationship(back_populates="books")


async with db.engine.begin() as conn:
    await conn.run_sync(LessonBase.metadata.create_all)
async with db.Session() as session:
    session.add(Shelf(name="Fiction", books=[Book(title="Emma"), Book(title="Dune"), Book(title="Ulysses")]))
    await session.commit()


# %%
async with db.Session() as session:
    shelf = await session.scalar(select(Shelf).options(selectinload(Shelf.books)).where(Shelf.name == "Fiction"))
    shelf.books.remove(shelf.books[0])
    with show_sql(), show_error(expected=IntegrityError):
        await session.commit()


# %% [markdown]
# `delete` (in `all`) acts only when the *parent* is deleted. Removing a child just detaches it, and here the
# database says no. To delete a child when it leaves its parent, you need `delete-orphan`.
#
# ### Careful: `all` and `refresh()` under asyncio
#
# `all` brings `refresh-expire`: refreshing the parent also *expires* the children it has loaded, and reloads only
# the parent. Under asyncio the next read of an expired child is an implicit load, which raises. `Shelf.books`
# says `all`:

# %%
async with db.Session() as session:
    shelf = await session.scalar(select(Shelf).where(Shelf.name == "Fiction"))
    book = (await shelf.awaitable_attrs.books)[0]
    with show_sql():
        await session.refresh(shelf)
    print("book expired:", inspect(book).expired)
    with show_error(expected=MissingGreenlet):
        print(book.title)

async with db.Session() as session:  # User.posts lists its cascades without refresh-expire
    user = await session.get(User, 7)
    post = (await user.awaitable_attrs.posts)[0]
    with show_sql():
        await session.refresh(user)
    print("post expired:", inspect(post).expired, "·", post.title)


# %% [markdown]
# One SELECT, of the shelf alone: the book it had loaded stays expired, and reading it fails. `User.posts` lists
# its cascades without `refresh-expire`: the same steps leave the post as it was. So in your own async models
# write the list, `cascade="save-update, merge, expunge, delete, delete-orphan"`, never `all`.
#
# ### `remove()` with `delete-orphan`: the child is deleted
#
# `User.posts` has it. First, the async rule: a collection must be loaded before you change it.

# %%
from sqlalchemy import func

from lessons import Comment, Post

async with db.Session() as session:
    user = await session.get(User, 7)
    post = await session.scalar(select(Post).where(Post.user_id == 7).order_by(Post.id).limit(1))
    with show_error(expected=MissingGreenlet):
        user.posts.remove(post)


# %% [markdown]
# `remove()` has to look inside the list, which means loading it, which means I/O. Load it first
# (`selectinload`, or `await user.awaitable_attrs.posts`), then remove:

# %%
async with db.Session() as session:
    user = await session.scalar(select(User).options(selectinload(User.posts)).where(User.id == 7))
    doomed = user.posts[0]
    with show_sql():
        user.posts.remove(doomed)
        await session.commit()
    left = await session.scalar(select(func.count()).select_from(Comment).where(Comment.post_id == doomed.id))
print("comments of the deleted post left:", left)


# %% [markdown]
# A DELETE, where `Author.articles` issued an UPDATE. The post's comments went too, though no statement above
# names them: that was the database, and the next section shows how.

# %% [markdown]
# ## Deleting the parent
#
# **In Laravel** the migration decides, and the database does the work:
#
# ```php
# $table->foreignId('author_id')->nullable()->constrained()->nullOnDelete();
# $table->foreignId('user_id')->constrained()->cascadeOnDelete();
# ```
#
# **In SQLAlchemy**, by default, the *ORM* does the work: it loads the children and writes each change itself.
# With the default cascade the children are detached; with `all`, deleted:

# %%
async with db.Session() as session:
    ada = await session.scalar(select(Author).where(Author.name == "Ada"))
    with show_sql():
        await session.delete(ada)
        await session.commit()
    print("--- Shelf.books, cascade='all':")
    shelf = await session.scalar(select(Shelf).where(Shelf.name == "Fiction"))
    with show_sql():
        await session.delete(shelf)
        await session.commit()


# %% [markdown]
# For Ada: a SELECT to find her articles, one UPDATE (run for both rows) setting `author_id` to NULL, then the
# DELETE. With `cascade="all"` (the shelf) the children are deleted instead, still loaded first.

# %% [markdown]
# ### `passive_deletes=True`: let the database cascade
#
# Loading every child just to delete it is wasted work when the foreign key already says
# `ON DELETE CASCADE`. The course's models say both, as the DDL and the mapper show:

# %%
from lessons.scenery.lesson03_user_footprint import user_footprint

print(to_sql(CreateTable(Post.__table__)))
print("passive_deletes:", inspect(User).relationships["posts"].passive_deletes)
async with db.Session() as session:  # everything user 27 owns, counted table by table
    print(await user_footprint(session, 27))


# %% [markdown]
# With `passive_deletes=True` SQLAlchemy does not load an unloaded collection on delete; the database removes
# the rows. `user_footprint` (from `lessons/`) counts what user 27 owns, above: `comments` they wrote, and
# `comments_on_posts` that anyone wrote on their posts. Watch it after the delete.
#
# ### Careful: `session.delete()` must be awaited
#
# The chapter writes `db.delete(user)` and calls it synchronous. On an `AsyncSession` it is a coroutine: without
# `await` nothing is deleted, and Python only warns.

# %%
async with db.Session() as session:
    user = await session.get(User, 27)
    with show_error():
        session.delete(user)
    await session.commit()
    print(await user_footprint(session, 27))


# %% [markdown]
# Still all there. Now awaited: one statement, however much the user owns.

# %%
async with db.Session() as session:
    user = await session.get(User, 27)
    with show_sql():
        await session.delete(user)
        await session.commit()
    print(await user_footprint(session, 27))


# %% [markdown]
# One DELETE; the database removed the profile, the posts (and the comments on them), the comments the user wrote and the
# pivot rows. `passive_deletes` only spares the *loading*: children already in the session are still deleted by
# the ORM, in one statement run for each row:

# %%
async with db.Session() as session:
    user = await session.scalar(select(User).options(selectinload(User.posts)).where(User.id == 14))
    with show_sql():
        await session.delete(user)
        await session.commit()


# %% [markdown]
# ### Careful: SQLite enforces foreign keys only when asked
#
# SQLite ignores `ON DELETE CASCADE` (and every foreign key) unless each connection runs
# `PRAGMA foreign_keys=ON`. The course's `create_engine` does that in a connect listener; a bare engine does not:

# %%
from sqlalchemy import delete, text
from sqlalchemy.ext.asyncio import create_async_engine

bare = create_async_engine(db.url)  # no connect listener: the database's own rules
async with bare.begin() as conn:
    if db.backend == "sqlite":
        print("foreign_keys:", (await conn.execute(text("PRAGMA foreign_keys"))).scalar())
    await conn.execute(delete(User).where(User.id == 20))
    orphans = await conn.scalar(select(func.count()).select_from(Post).where(Post.user_id == 20))
await bare.dispose()
print(f"{db.backend}: posts of deleted user 20:", orphans)

# %% [markdown]
# Those posts now point at a user who does not exist. With the course's engine the same DELETE would have taken
# them along. PostgreSQL, and MariaDB's default engine InnoDB, enforce foreign keys without being asked: there the
# cell prints 0 (their tabs on the site; [SQLite's docs](https://www.sqlite.org/foreignkeys.html#fk_enable)).
#
# ## Your turn
#
# **1.** Write `grant_role(session, user_id, role_name)`: give the user the role named `role_name` (it exists
# already), keep the roles they have, commit, and return all their role names (any order). Granting a role the
# user already has must change nothing: Laravel's `syncWithoutDetaching`, not `attach`. For example, user 7 has
# `['author']`; after `grant_role(session, 7, "editor")` they have `['author', 'editor']`.

# %%
from sqlalchemy.ext.asyncio import AsyncSession

from lessons import exercises

q1 = exercises.get("03.grant_role")


async def grant_role(session: AsyncSession, user_id: int, role_name: str) -> list[str]:
    # BEGIN SOLUTION
    user = await session.scalar(select(User).options(selectinload(User.roles)).where(User.id == user_id))
    role = await session.scalar(select(Role).where(Role.name == role_name))
    if role not in user.roles:
        user.roles.append(role)
    await session.commit()
    return [role.name for role in user.roles]
    # END SOLUTION


await q1.check(grant_role)

# %%
q1.hint()
# q1.hint(2)
# q1.solution()

# %% [markdown]
# **2.** Write `move_post(session, post_id, new_author_id)`: the post now belongs to the new author, keeps its
# id and its comments, and is committed; return the post, up to date (its `user_id`, and its `author` if loaded,
# name the new author). (`User.posts` has `delete-orphan`: think about what removing the post from its old author
# would do.)

# %%
q2 = exercises.get("03.move_post")


async def move_post(session: AsyncSession, post_id: int, new_author_id: int) -> Post:
    # BEGIN SOLUTION
    post = await session.get(Post, post_id)
    post.author = await session.get(User, new_author_id)
    await session.commit()
    return post
    # END SOLUTION


await q2.check(move_post)

# %%
q2.hint()
# q2.hint(2)
# q2.solution()

# %% [markdown]
# ## Key points
#
# - `relationship(back_populates=...)` on both sides: `list[...]` for `hasMany`/`belongsToMany`, one object (or
#   `None`) for `belongsTo`/`hasOne`.
# - Under asyncio reading an unloaded relationship raises `MissingGreenlet`. Load it with `selectinload(...)` or
#   `await obj.awaitable_attrs.name`, and load collections before you `append` or `remove`.
# - Many-to-many: name the pivot `Table` in `secondary=`; `append`/`remove` INSERT and DELETE its rows.
# - Cascade options are `save-update`, `merge`, `refresh-expire`, `expunge`, `delete` (together: `all`) and
#   `delete-orphan`; the default is `save-update, merge`. Under asyncio list them without `refresh-expire`.
# - `remove()` without `delete-orphan` sets the foreign key to NULL (or fails on NOT NULL); with it, DELETEs.
# - Deleting a parent: the ORM loads the children and updates or deletes them, unless `passive_deletes=True` and
#   `ON DELETE CASCADE` leave it to the database in one statement. On SQLite that needs `PRAGMA foreign_keys=ON`.
# - `session.delete()` is a coroutine: `await` it.
#
# [Contents](00-setup.ipynb#Course-map) · Previous: [← 02 · CRUD](02-crud.ipynb) · Next: [04 · Loading and N+1 →](04-loading-and-n-plus-1.ipynb)
