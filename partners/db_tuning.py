"""Planner costs of pg_trgm's word-similarity operators, set after every ``migrate`` (on PostgreSQL).

pg_trgm declares ``%>`` and ``<%`` as cheap as ``=`` (cost 1). They are not: each call folds two strings into
trigram sets, about 4 µs. So on a task force of 3,000 services the planner walked the task-force index and
computed a word similarity for every row (11.8 ms) rather than ask the (task force, name trigram) GIN index for the
few candidates (1.2 ms; bench/results.md). Cost 100 says what the call costs against a row read, and every typo
search (the directory's, the people search's, the duplicate check's) then starts from its trigram index.

Why after ``migrate`` rather than in a migration: the functions belong to the extension, and neither pg_dump nor
a re-created extension keeps an ALTER of an extension's member. ``migrate`` runs on every deploy
(docker-compose's one-shot ``migrate``, ``make run``) and after every restore, so the cost is always set. Where
the database user may not alter the functions (not their owner), the search still works, only slower: a warning
says so and ``migrate`` goes on.
"""

import logging

from django.db import DEFAULT_DB_ALIAS, connections

logger = logging.getLogger(__name__)

TRIGRAM_OPERATOR_COST = 100
# The functions behind pg_trgm's word-similarity operators: ``a %> b`` and ``a <% b``.
WORD_SIMILARITY_FUNCTIONS = ("word_similarity_commutator_op", "word_similarity_op")

_SET_COSTS = """
DO $$
DECLARE
    fn regprocedure;
BEGIN
    FOR fn IN
        SELECT p.oid::regprocedure FROM pg_proc p
        WHERE p.proname = ANY(%(names)s) AND p.pronargs = 2 AND p.procost <> %(cost)s
    LOOP
        EXECUTE format('ALTER FUNCTION %%s COST %(cost)s', fn);
    END LOOP;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE WARNING 'PSN Hub: may not set the cost of pg_trgm''s word-similarity functions: typo searches are slower';
END
$$
"""


def set_trigram_costs(*, using: str = DEFAULT_DB_ALIAS) -> bool:
    """Give pg_trgm's word-similarity functions their real cost (idempotent: alters only what differs). Returns
    whether the costs are in place; False on other databases and where the user may not alter them."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return False
    names = "ARRAY[" + ", ".join(f"'{name}'" for name in WORD_SIMILARITY_FUNCTIONS) + "]::name[]"
    with connection.cursor() as cursor:
        # Only constants of this module are formatted in (a DO block takes no parameters).
        cursor.execute(_SET_COSTS % {"names": names, "cost": TRIGRAM_OPERATOR_COST})
        cursor.execute(
            "SELECT count(*) FROM pg_proc WHERE proname = ANY(%s) AND pronargs = 2 AND procost = %s",
            [list(WORD_SIMILARITY_FUNCTIONS), TRIGRAM_OPERATOR_COST],
        )
        (done,) = cursor.fetchone()
    if done != len(WORD_SIMILARITY_FUNCTIONS):
        logger.warning("pg_trgm word-similarity costs not set (%d of %d)", done, len(WORD_SIMILARITY_FUNCTIONS))
        return False
    return True


def after_migrate(sender, using=DEFAULT_DB_ALIAS, **kwargs) -> None:
    """``post_migrate`` receiver (connected in ``PartnersConfig.ready``)."""
    set_trigram_costs(using=using)
