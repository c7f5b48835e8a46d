"""What each query endpoint accepts: filter fields, their operators, sortable fields.

Copied from the official SDK's query specs (``*QuerySpec`` in each package's
``build/cjs/index.typings.d.ts``; ``_id``/``_createdDate`` are the SDK's names for the wire's
``id``/``createdDate``), versions as in tests/sdk/package-lock.json:

- ``@wix/auto_sdk_benefit-programs_balances`` ``BalanceQuerySpec``
- ``@wix/auto_sdk_benefit-programs_pools`` ``PoolQuerySpec``
- ``@wix/auto_sdk_benefit-programs_transactions`` ``TransactionQuerySpec`` (``status``: filter only)
- ``@wix/auto_sdk_benefit-programs_programs`` ``ProgramQuerySpec``
- ``@wix/auto_sdk_benefit-programs_pool-definitions`` ``PoolDefinitionQuerySpec``
- ``@wix/auto_sdk_members_members`` ``MemberQuerySpec`` (filter fields; its spec says ``sort: 'NONE'``,
  but Query Members' REST page documents sorting on the fields below, so those are accepted)
  https://dev.wix.com/docs/rest/crm/members-contacts/members/members/query-members

``ALL`` stands for the SDK's ``operators: '*'``: every operator of Wix's query language
(https://dev.wix.com/docs/rest/articles/getting-started/api-query-language).
"""

from __future__ import annotations

import dataclasses

ALL: frozenset[str] | None = None
ARRAY_OPS = frozenset({"$hasSome", "$hasAll"})


@dataclasses.dataclass(frozen=True)
class QuerySpec:
    filters: dict[str, frozenset[str] | None]  # field -> allowed operators (None = all)
    sortable: frozenset[str]


def _spec(all_ops: tuple[str, ...], array_ops: tuple[str, ...] = (), unsortable: tuple[str, ...] = (), sortable=None):
    filters: dict[str, frozenset[str] | None] = {f: ALL for f in all_ops + unsortable}
    filters.update({f: ARRAY_OPS for f in array_ops})
    sort = frozenset(sortable) if sortable is not None else frozenset(all_ops + array_ops)
    return QuerySpec(filters, sort)


SPECS: dict[str, QuerySpec] = {
    "balances": _spec(("createdDate", "id", "beneficiary.memberId", "beneficiary.wixUserId")),
    "pools": _spec(
        (
            "createdDate",
            "id",
            "beneficiary",
            "beneficiary.memberId",
            "beneficiary.wixUserId",
            "namespace",
            "poolDefinitionId",
            "programDefinitionId",
            "programId",
            "status",
        ),
        array_ops=("details.benefits.itemSetId", "details.benefits.providerAppId"),
    ),
    "transactions": _spec(
        (
            "createdDate",
            "id",
            "beneficiary.memberId",
            "beneficiary.wixUserId",
            "correlationId",
            "details.item.id",
            "pool.id",
            "relatedTransactionId",
        ),
        unsortable=("status",),
    ),
    "programs": _spec(("createdDate", "id", "externalId", "namespace", "programDefinitionId", "status")),
    "pool-definitions": _spec(
        ("createdDate", "id", "namespace"),
        array_ops=("details.benefits.itemSetId", "details.benefits.providerAppId", "programDefinitionIds"),
    ),
    "members": _spec(
        (
            "id",
            "contact.firstName",
            "contact.lastName",
            "contactId",
            "loginEmail",
            "privacyStatus",
            "profile.nickname",
            "profile.slug",
            "status",
        ),
        sortable=("profile.nickname", "contact.firstName", "contact.lastName", "createdDate", "lastLoginDate"),
    ),
}
