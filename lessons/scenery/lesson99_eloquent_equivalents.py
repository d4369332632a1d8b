"""The quick reference's rows: each an Eloquent call (the docstring) and the async SQLAlchemy code that does the
same (the body), grouped in the sections of ``notebooks/99-quick-reference.ipynb``, which draws them as tables.

Every row runs when its table is drawn
(:class:`lessons.scenery.lesson99_quick_reference.QuickReference`), on a fresh copy of the
seeded database, and ``tests/test_quick_reference.py`` runs them all on every backend. To add a row, write an
``async def name(session)`` under its section's ``@SECTION.row("Operation")``:

>>> from lessons.scenery.lesson99_eloquent_equivalents import ROWS
>>> [entry.operation for entry in ROWS.entries("Paginating")]
['paginate()', 'cursorPaginate() (keyset)']
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, delete, exists, func, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError, NoResultFound
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, selectinload, with_loader_criteria

from lessons.core import clock
from lessons.core.database import LessonDatabase
from lessons.core.models import Comment, Post, Role, User
from lessons.core.pagination import paginate
from lessons.core.types import UTCDateTime
from lessons.scenery.lesson99_quick_reference import Rows

ROWS = Rows()


READING = ROWS.section("Reading")


@READING.row("Find by primary key")
async def find(session):
    """
    User::find(1);
    """
    return await session.get(User, 1)


@READING.row("Find or fail", raises=NoResultFound)
async def find_or_fail(session):
    """
    User::findOrFail(9999);
    """
    return await session.get_one(User, 9999)


@READING.row("First match")
async def first_match(session):
    """
    User::where('email', 'lisa.knox.4@example.com')
        ->first();
    """
    return await session.scalar(select(User).where(User.email == "lisa.knox.4@example.com").limit(1))


@READING.row("Where, order, limit")
async def where_order_limit(session):
    """
    User::where('is_active', true)
        ->orderBy('name')
        ->limit(3)
        ->get();
    """
    statement = select(User).where(User.is_active).order_by(User.name).limit(3)
    return (await session.scalars(statement)).all()


@READING.row("Pluck a column")
async def pluck(session):
    """
    User::orderBy('id')->limit(3)
        ->pluck('name');
    """
    return (await session.scalars(select(User.name).order_by(User.id).limit(3))).all()


@READING.row("orWhere")
async def or_where(session):
    """
    User::where('age', '>', 70)
        ->orWhere('role', 'admin')
        ->count();
    """
    condition = or_(User.age > 70, User.role == "admin")
    return await session.scalar(select(func.count()).select_from(User).where(condition))


@READING.row("whereIn / whereNull / whereBetween")
async def where_in_null_between(session):
    """
    User::whereIn('role', ['admin', 'editor'])
        ->whereNull('age')->count();
    User::whereBetween('age', [30, 39])->count();
    """
    staff_no_age = select(func.count()).select_from(User).where(
        User.role.in_(["admin", "editor"]), User.age.is_(None)
    )
    thirties = select(func.count()).select_from(User).where(User.age.between(30, 39))
    return await session.scalar(staff_no_age), await session.scalar(thirties)


@READING.row("Count")
async def count(session):
    """
    User::where('age', '>', 18)->count();
    """
    return await session.scalar(select(func.count()).select_from(User).where(User.age > 18))


@READING.row("Exists")
async def exists_(session):
    """
    User::where('role', 'admin')->exists();
    """
    return await session.scalar(select(exists().where(User.role == "admin")))


@READING.row("Aggregates")
async def aggregates(session):
    """
    User::max('age');
    User::avg('age');
    """
    row = (await session.execute(select(func.max(User.age), func.avg(User.age)))).one()
    return row[0], round(row[1], 2)


@READING.row("Search (LIKE)")
async def search(session):
    """
    User::where('name', 'like', "%{$term}%")
        ->count();
    """
    term = "ann"  # from the user: % and _ are escaped, not wildcards
    return await session.scalar(
        select(func.count()).select_from(User).where(User.name.icontains(term, autoescape=True))
    )


@READING.row("Iterate with a cursor")
async def iterate_lazily(session):
    """
    foreach (User::cursor() as $user) {
        $total++;
    }
    """
    # One SELECT, rows fetched as you iterate: Eloquent's cursor(). (lazy() would send LIMIT/OFFSET chunks.)
    total = 0
    async for _user in await session.stream_scalars(select(User).order_by(User.id)):
        total += 1
    return total


@READING.row("toSql()")
async def to_sql_(session):
    """
    User::where('age', '>', 18)->toSql();
    """
    statement = select(User.id).where(User.age > 18)
    return str(statement)  # placeholders, not values


@READING.row("toRawSql()")
async def to_raw_sql(session):
    """
    User::where('age', '>', 18)->toRawSql();
    """
    statement = select(User.id).where(User.age > 18)
    return str(statement.compile(compile_kwargs={"literal_binds": True}))


RELATIONSHIPS = ROWS.section("Relationships")


@RELATIONSHIPS.row("Eager load (with)")
async def eager_load(session):
    """
    User::with('posts')->find(1);
    """
    user = await session.scalar(select(User).options(selectinload(User.posts)).where(User.id == 1))
    return user.posts


@RELATIONSHIPS.row("Load later")
async def load_later(session):
    """
    $user = User::find(1);
    $user->posts;
    """
    user = await session.get(User, 1)
    return await user.awaitable_attrs.posts


@RELATIONSHIPS.row("withCount")
async def with_count(session):
    """
    User::withCount('posts')
        ->orderByDesc('posts_count')
        ->first();
    """
    posts_count = select(func.count(Post.id)).where(Post.user_id == User.id).scalar_subquery().label("posts_count")
    statement = select(User.name, posts_count).order_by(posts_count.desc()).limit(1)
    return (await session.execute(statement)).one()


@RELATIONSHIPS.row("whereHas")
async def where_has(session):
    """
    User::whereHas('posts',
        fn ($q) => $q->where('published', true)
    )->count();
    """
    return await session.scalar(select(func.count()).select_from(User).where(User.posts.any(Post.published)))


@RELATIONSHIPS.row("doesntHave")
async def doesnt_have(session):
    """
    User::doesntHave('posts')->count();
    """
    return await session.scalar(select(func.count()).select_from(User).where(~User.posts.any()))


@RELATIONSHIPS.row("Join + groupBy")
async def join_group_by(session):
    """
    Post::join('users', 'users.id', '=', 'posts.user_id')
        ->groupBy('users.role')
        ->selectRaw('users.role, count(*) as posts')
        ->get();
    """
    statement = (
        select(User.role, func.count(Post.id).label("posts"))
        .join(Post.author)
        .group_by(User.role)
        .order_by(User.role)
    )
    return (await session.execute(statement)).all()


@RELATIONSHIPS.row("Create a related row", transactions=True)
async def create_related(session):
    """
    $user->posts()->create([
        'title' => 'Hello',
    ]);
    """
    post = Post(title="Hello", user_id=1)
    session.add(post)
    await session.commit()
    return post


@RELATIONSHIPS.row("Attach (many-to-many)", transactions=True)
async def attach(session):
    """
    $user->roles()->attach($editorId);
    """
    user = await session.get(User, 1, options=[selectinload(User.roles)])
    user.roles.append(await session.get(Role, 2))
    await session.commit()
    return user.roles


PAGINATING = ROWS.section("Paginating")


@PAGINATING.row("paginate()")
async def offset_page(session):
    """
    Post::orderBy('id')
        ->paginate(10, ['*'], 'page', 2);
    """
    # paginate() is the course's helper (lessons/core/pagination.py, lesson 06), not SQLAlchemy's
    return await paginate(session, select(Post).order_by(Post.id), page=2, size=10)


@PAGINATING.row("cursorPaginate() (keyset)")
async def keyset_page(session):
    """
    Post::orderBy('id')
        ->cursorPaginate(5);  // after id 990
    """
    last_seen_id = 990
    statement = select(Post).where(Post.id > last_seen_id).order_by(Post.id).limit(5)
    return (await session.scalars(statement)).all()


WRITING = ROWS.section("Writing")


@WRITING.row("Create", transactions=True)
async def create(session):
    """
    User::create([
        'name' => 'Ada Lovelace',
        'email' => 'ada@example.com',
    ]);
    """
    user = User(name="Ada Lovelace", email="ada@example.com")
    session.add(user)
    await session.commit()
    return user


@WRITING.row("Insert many", transactions=True)
async def insert_many(session):
    """
    User::insert([
        ['name' => 'Alan', 'email' => 'alan@example.com'],
        ['name' => 'Edsger', 'email' => 'edsger@example.com'],
    ]);
    """
    rows = [
        {"name": "Alan", "email": "alan@example.com"},
        {"name": "Edsger", "email": "edsger@example.com"},
    ]
    await session.execute(insert(User), rows)
    await session.commit()
    return await session.scalar(select(func.count()).select_from(User))


@WRITING.row("Update a model", transactions=True)
async def update_model(session):
    """
    $user = User::find(2);
    $user->update(['age' => 31]);
    """
    user = await session.get(User, 2)
    user.age = 31
    await session.commit()
    return user.age, user.updated_at


@WRITING.row("Mass update", transactions=True)
async def mass_update(session):
    """
    User::whereIn('id', [1, 2, 3])
        ->update(['is_active' => false]);
    """
    result = await session.execute(update(User).where(User.id.in_([1, 2, 3])).values(is_active=False))
    await session.commit()
    return result.rowcount


@WRITING.row("Increment", transactions=True)
async def increment(session):
    """
    User::where('id', 4)->increment('age');
    """
    await session.execute(update(User).where(User.id == 4).values(age=User.age + 1))
    await session.commit()
    return await session.scalar(select(User.age).where(User.id == 4))


@WRITING.row("firstOrCreate", transactions=True)
async def first_or_create(session):
    """
    Role::firstOrCreate(['name' => 'moderator']);
    """
    role = await session.scalar(select(Role).where(Role.name == "moderator").limit(1))
    if role is None:
        role = Role(name="moderator")
        session.add(role)
        await session.commit()
    return role


@WRITING.row("Delete a model", transactions=True)
async def delete_model(session):
    """
    User::find(200)->delete();
    """
    user = await session.get(User, 200)
    await session.delete(user)  # a coroutine: await it
    await session.commit()
    return await session.get(User, 200)


@WRITING.row("Mass delete", transactions=True)
async def mass_delete(session):
    """
    Comment::where('post_id', 1)->delete();
    """
    result = await session.execute(delete(Comment).where(Comment.post_id == 1))
    await session.commit()
    return result.rowcount


TRANSACTIONS = ROWS.section("Transactions")


@TRANSACTIONS.row("DB::transaction()", transactions=True)
async def transaction(session):
    """
    DB::transaction(function () {
        $user = User::create([...]);
        $user->posts()->create([...]);
    });
    """
    async with session.begin():
        user = User(name="Grace Hopper", email="grace@example.com", posts=[Post(title="Compilers")])
        session.add(user)
    return user.id, user.posts[0].id


@TRANSACTIONS.row("Rolled back on an exception", transactions=True)
async def rolled_back(session):
    """
    try {
        DB::transaction(function () {
            Role::create(['name' => 'temporary']);
            throw new RuntimeException('payment failed');
        });
    } catch (RuntimeException $e) {}
    Role::where('name', 'temporary')->count();
    """
    try:
        async with session.begin():
            session.add(Role(name="temporary"))
            await session.flush()
            raise RuntimeError("payment failed")
    except RuntimeError:
        pass
    return await session.scalar(select(func.count()).select_from(Role).where(Role.name == "temporary"))


@TRANSACTIONS.row("Savepoint (nested)", transactions=True)
async def savepoint(session):
    """
    DB::transaction(function () {
        Role::create(['name' => 'kept']);
        try {
            DB::transaction(fn () =>
                Role::create(['name' => 'admin']));
        } catch (QueryException $e) {}
    });
    """
    async with session.begin():
        session.add(Role(name="kept"))
        try:
            async with session.begin_nested():
                session.add(Role(name="admin"))  # taken: roles.name is unique
        except IntegrityError:
            pass
    return (await session.scalars(select(Role.name).order_by(Role.id))).all()


class ReferenceBase(DeclarativeBase):
    """The notes table belongs to the quick reference alone, on a base of its own."""


class Note(ReferenceBase):
    __tablename__ = "l99_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(String(200))
    # UTCDateTime is the course's column type (lessons/core/types.py): timezone-aware, refuses naive datetimes
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    def __repr__(self) -> str:
        state = "trashed" if self.deleted_at else "live"
        return f"Note(id={self.id!r}, body={self.body!r}, {state})"


async def create_notes(db: LessonDatabase) -> None:
    """The soft-delete section's table and its three notes."""
    async with db.engine.begin() as conn:
        await conn.run_sync(ReferenceBase.metadata.create_all)
        await conn.execute(insert(Note), [{"body": "buy milk"}, {"body": "call Ada"}, {"body": "ship v2"}])


SOFT_DELETES = ROWS.section("Scopes and soft deletes", setup=create_notes)


def active():
    return User.is_active


def older_than(age: int):
    return User.age > age


@SOFT_DELETES.row("Local scopes", uses=[active, older_than])
async def local_scopes(session):
    """
    // User: scopeActive($q), scopeOlderThan($q, $age)
    User::active()->olderThan(60)->count();
    """
    return await session.scalar(select(func.count()).select_from(User).where(active(), older_than(60)))


@SOFT_DELETES.row("Soft delete", transactions=True)
async def soft_delete(session):
    """
    Note::find(2)->delete();  // SoftDeletes
    """
    note = await session.get(Note, 2)
    note.deleted_at = clock.now()  # the course's frozen clock; in your app: datetime.now(timezone.utc)
    await session.commit()
    return note


@SOFT_DELETES.row("Hide the trashed")
async def hide_trashed(session):
    """
    Note::all();
    """
    not_trashed = with_loader_criteria(Note, Note.deleted_at.is_(None))
    return (await session.scalars(select(Note).options(not_trashed).order_by(Note.id))).all()


@SOFT_DELETES.row("withTrashed()")
async def with_trashed(session):
    """
    Note::withTrashed()->get();
    """
    return (await session.scalars(select(Note).order_by(Note.id))).all()


@SOFT_DELETES.row("onlyTrashed()")
async def only_trashed(session):
    """
    Note::onlyTrashed()->get();
    """
    return (await session.scalars(select(Note).where(Note.deleted_at.is_not(None)))).all()


@SOFT_DELETES.row("restore()", transactions=True)
async def restore(session):
    """
    Note::withTrashed()->find(2)->restore();
    """
    note = await session.get(Note, 2)
    note.deleted_at = None
    await session.commit()
    return note


@SOFT_DELETES.row("forceDelete()", transactions=True)
async def force_delete(session):
    """
    Note::find(3)->forceDelete();
    """
    await session.delete(await session.get(Note, 3))
    await session.commit()
    return (await session.scalars(select(Note.id).order_by(Note.id))).all()


RAW_SQL = ROWS.section("Raw SQL")


@RAW_SQL.row("DB::select()")
async def raw_select(session):
    """
    DB::select(
        'select id, name from users where age > ? order by id limit 3',
        [70]
    );
    """
    sql = text("SELECT id, name FROM users WHERE age > :age ORDER BY id LIMIT 3")
    return (await session.execute(sql, {"age": 70})).all()


@RAW_SQL.row("Raw SQL to models")
async def raw_models(session):
    """
    User::fromQuery(
        'select * from users where age > ? order by id limit 3',
        [70]
    );
    """
    sql = text("SELECT * FROM users WHERE age > :age ORDER BY id LIMIT 3")
    return (await session.scalars(select(User).from_statement(sql), {"age": 70})).all()


@RAW_SQL.row("whereRaw()")
async def where_raw(session):
    """
    User::whereRaw('length(name) > ?', [15])->count();
    """
    condition = text("length(users.name) > :n").bindparams(n=15)
    return await session.scalar(select(func.count()).select_from(User).where(condition))


@RAW_SQL.row("DB::statement()", transactions=True)
async def statement(session):
    """
    DB::statement(
        'create index users_age on users (age)'
    );
    """
    await session.execute(text("CREATE INDEX IF NOT EXISTS users_age ON users (age)"))
    await session.commit()
