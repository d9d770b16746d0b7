"""Provisions people against a live Portcullis edge with a third-party SCIM client
(PyPI `scim2-client` and `scim2-models`), the way an HR system or an identity provider
would. Run by scim.test.mjs: SCIM_BASE_URL and SCIM_TOKEN in the environment; prints
one JSON object of what it saw, for the test to check.
"""

import json
import os
import sys

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_models import Email, Group, GroupMember, ListResponse, Name, PatchOp, SearchRequest, User


def main() -> None:
    base = os.environ["SCIM_BASE_URL"]
    token = os.environ["SCIM_TOKEN"]
    domain = os.environ["SCIM_DOMAIN"]
    http = httpx2.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    client = SyncSCIMClient(http)
    client.discover()
    seen = {"discovered": sorted(rt.name for rt in client.provider.resource_types or [])}

    created = []
    for n, (given, family) in enumerate([("Grace", "Hopper"), ("Alan", "Turing"), ("Ada", "Lovelace")]):
        user = User(
            user_name=f"{given.lower()}@{domain}",
            name=Name(given_name=given, family_name=family, formatted=f"{given} {family}"),
            display_name=f"{given} {family}",
            emails=[Email(value=f"{given.lower()}@{domain}", primary=True, type="work")],
            active=True,
            external_id=f"hr-{n}",
        )
        created.append(client.create(user))
    seen["created"] = [u.id for u in created]
    seen["versions"] = [u.meta.version for u in created]

    def names(filter_: str, start: int = 1, count: int = 10) -> dict:
        page = client.query(User, query_parameters=SearchRequest(filter=filter_, start_index=start, count=count))
        assert isinstance(page, ListResponse), page
        return {
            "total": page.total_results,
            "users": [u.user_name for u in page.resources or []],
        }

    seen["by_user_name"] = names(f'userName eq "GRACE@{domain.upper()}"')
    seen["starts_with"] = names(f'name.givenName sw "a" and emails co "{domain}"')
    seen["or"] = names(f'userName eq "alan@{domain}" or name.familyName eq "lovelace"')
    seen["present"] = names(f'externalId pr and userName ew "@{domain}"')

    grace = created[0]
    grace.display_name = "Amazing Grace"
    grace.name.formatted = "Amazing Grace"
    replaced = client.replace(grace)
    seen["replaced"] = replaced.display_name

    patch = PatchOp[User](operations=[{"op": "replace", "path": "active", "value": False}])
    client.modify(User, created[1].id, patch)
    seen["active_after_patch"] = client.query(User, created[1].id).active
    seen["inactive"] = names(f'active eq false and userName ew "@{domain}"')

    group = client.create(
        Group(
            display_name=f"Engineers of {domain}",
            members=[GroupMember(value=created[0].id), GroupMember(value=created[2].id)],
        )
    )
    found = client.query(Group, query_parameters=SearchRequest(filter=f'displayName eq "engineers of {domain}"'))
    seen["group_found"] = [g.id for g in found.resources or []] == [group.id]
    seen["group_members"] = sorted(m.value for m in group.members or [])

    client.delete(User, created[2].id)
    seen["after_delete"] = names(f'userName ew "@{domain}"')
    seen["members_after_delete"] = [m.value for m in client.query(Group, group.id).members or []]
    add = PatchOp[Group](operations=[{"op": "add", "path": "members", "value": [{"value": created[1].id}]}])
    client.modify(Group, group.id, add)
    remove = PatchOp[Group](operations=[{"op": "remove", "path": f'members[value eq "{created[0].id}"]'}])
    client.modify(Group, group.id, remove)
    seen["members_after_patch"] = [m.value for m in client.query(Group, group.id).members or []]
    client.delete(Group, group.id)
    json.dump(seen, sys.stdout)


if __name__ == "__main__":
    main()
