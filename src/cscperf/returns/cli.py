"""`cscperf returns`: prepare, list, show, explain and sign off the year's statutory returns.

Every step is written to the audit log beside the warehouse (`cscperf audit`), by the operating-system
user running the command; a sign-off names the dashboard user who signs.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import click

from cscperf.errors import UserError
from cscperf.warehouse.options import warehouse_option as shared_warehouse_option

warehouse_option = shared_warehouse_option("DuckDB warehouse file (prepared returns live beside it in <name>.returns/).")


def _audit(warehouse: Path, user: str, action: str, route: str, children: Iterable[str] = ()) -> None:
    from cscperf.web.store import WebStore, users_db_path

    WebStore(users_db_path(warehouse)).record(user, action, f"cli: {route}", children)


def _os_user() -> str:
    from cscperf.web.store import os_user

    return os_user()


@click.group()
def returns() -> None:
    """The year-end statutory returns: prepare a versioned draft, explain its queries, sign it off."""


@returns.command("prepare")
@click.argument("kind", type=click.Choice(["cin", "ssda903", "annex-a"]))
@click.option("--year", required=True, type=int, help="The collection year, by the 31 March it ends on (2025 = 2024-25).")
@warehouse_option
def prepare(kind: str, year: int, warehouse: Path) -> None:
    """Write the return as a new draft version, run DfE's rules on it and compare it with last year's."""
    from cscperf.returns import workflow
    from cscperf.warehouse import connect

    who = _os_user()

    def audit_before_commit(written: object, rid: str) -> None:
        route = f"returns prepare {kind} --year {year} -> {rid} ({workflow.returns_folder(warehouse).resolve() / rid})"
        _audit(warehouse, who, "export", route, written.children)  # type: ignore[attr-defined]

    con = connect(warehouse)
    try:
        draft = workflow.write_draft(con, warehouse, kind, year)
    finally:
        con.close()
    try:  # the warehouse is free while DfE's rules run (they take a while; the dashboard needs the file)
        checked = workflow.check_draft(draft)
        con = connect(warehouse)
        try:
            found = workflow.store_draft(con, draft, checked, who, before_commit=audit_before_commit)
        finally:
            con.close()
    except BaseException:
        draft.discard()
        raise
    _print_summary(found)
    if not found.checks_complete:
        raise UserError(f"draft {found.return_id} was prepared but its check is incomplete, so it cannot be signed off: {found.check_note}")


def _print_summary(found: object) -> None:
    from cscperf.returns.workflow import Prepared

    assert isinstance(found, Prepared)
    click.echo(f"{found.return_id}: {found.name}, {found.status}, in {found.folder}")
    click.echo(f"  checked: {found.check_note}")
    click.echo(f"  {len(found.errors)} errors, {len(found.queries)} queries")
    comparison = found.comparison
    click.echo(f"  compared with {comparison.get('basis', 'nothing')}:")
    for c in comparison.get("counts", []):
        change = "" if c["change"] is None else f" ({c['change']:+d})"
        click.echo(f"    {c['name']}: {_n(c['previous'])} -> {_n(c['now'])}{change}")
    click.echo(f"    children added: {len(comparison.get('added', []))}, dropped: {len(comparison.get('dropped', []))}")


def _n(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


@returns.command("list")
@warehouse_option
def list_returns(warehouse: Path) -> None:
    """Every prepared version: id, status, when prepared, who signed it off."""
    from cscperf.returns import workflow
    from cscperf.warehouse import connect

    con = connect(warehouse)
    try:
        rows = workflow.all_returns(con)
    finally:
        con.close()
    for r in rows:
        signed = f"\tsigned {r.signed_at:%Y-%m-%d %H:%M} by {r.signed_by}" if r.signed_at else ""
        click.echo(f"{r.return_id}\t{r.status}\tprepared {r.prepared_at:%Y-%m-%d %H:%M} by {r.prepared_by}{signed}")
    click.echo(f"{len(rows)} prepared returns", err=True)


@returns.command("show")
@click.argument("return_id")
@click.option(
    "--children", "with_children", is_flag=True, help="Also list the children added and dropped and the unexplained queries by child."
)
@warehouse_option
def show(return_id: str, with_children: bool, warehouse: Path) -> None:
    """A prepared return: status, files (checked against their SHA-256), counts, comparison, issues by rule."""
    from cscperf.returns import workflow
    from cscperf.warehouse import connect

    con = connect(warehouse)
    try:
        found = workflow.get(con, return_id)
        problems = workflow.verify_files(con, return_id)
        summary = workflow.issue_summary(con, return_id)
        waiting = workflow.unexplained_queries(con, return_id)
        files = workflow.files(con, return_id)
    finally:
        con.close()
    listed = [*found.comparison.get("added", []), *found.comparison.get("dropped", []), *waiting["child_id"]]
    shown = [c for c in listed if c] if with_children else []  # a return-level query has no child
    _audit(warehouse, _os_user(), "view", f"returns show {return_id}{' --children' if with_children else ''}", shown)
    _print_summary(found)
    if found.signed_at:
        click.echo(f"  signed off {found.signed_at:%Y-%m-%d %H:%M} by {found.signed_by}")
    for f in files.itertuples():
        click.echo(f"  file {f.file_name}  {f.bytes:,} bytes  sha256 {f.sha256}")
    for p in problems:
        click.secho(f"  FILE CHECK FAILED: {p}", fg="red")
    if not problems:
        click.echo("  files match their SHA-256")
    for r in summary.itertuples():
        todo = f", {r.unexplained} unexplained" if r.rule_type == "query" else ""
        click.echo(f"  {r.rule_type} {r.rule}: {r.issues} rows, {r.children} children{todo}: {r.message}")
    if with_children:
        click.echo(f"  added: {', '.join(found.comparison.get('added', [])) or '-'}")
        click.echo(f"  dropped: {', '.join(found.comparison.get('dropped', [])) or '-'}")
        for w in waiting.itertuples():
            click.echo(f"  unexplained query {w.rule}: child {w.child_id or '(return level)'}")


@returns.command("explain")
@click.argument("return_id")
@click.option("--rule", default="", help="The query's rule code, e.g. 8770Q.")
@click.option("--child", default="", help="The child it explains (omit to explain the rule for every child of the return).")
@click.option("--text", default="", help="The explanation, as DfE will read it.")
@click.option(
    "--from", "source", default="", metavar="EARLIER_ID", help="Instead: copy the explanations of an earlier version whose queries remain."
)
@warehouse_option
def explain(return_id: str, rule: str, child: str, text: str, source: str, warehouse: Path) -> None:
    """Write the explanation a query needs before the return can be signed off (or carry them from an earlier version)."""
    from cscperf.returns import workflow
    from cscperf.warehouse import connect

    if bool(source) == bool(rule or text or child):
        raise UserError("give either --rule and --text (with --child for one child) or --from EARLIER_ID")
    if not source and not rule:
        raise UserError("--rule: name the query's rule code")
    who = _os_user()
    con = connect(warehouse)
    try:
        if source:
            covered = workflow.carry_explanations(con, return_id, source, who)
        else:
            covered = workflow.explain(con, return_id, rule, child, text, who)
        left = len(workflow.unexplained_queries(con, return_id))
    finally:
        con.close()
    route = f"returns explain {return_id} " + (f"--from {source}" if source else f"--rule {rule}{' --child ' + child if child else ''}")
    _audit(warehouse, who, "explain", route, [child] if child else [])
    if source:
        click.echo(f"{return_id}: {covered} explanations carried from {source}; {left} queries still unexplained")
    else:
        whom = f"child {child}" if child else "every child"
        click.echo(f"{return_id}: query {rule} explained for {whom} ({covered} rows); {left} queries still unexplained")


@returns.command("sign-off")
@click.argument("return_id")
@click.option("--user", "user_name", required=True, help="The dashboard user signing off (role performance or admin).")
@warehouse_option
def sign_off(return_id: str, user_name: str, warehouse: Path) -> None:
    """Sign a draft off: refused while hard errors remain, a query lacks an explanation or a rule did not run."""
    from cscperf.returns import workflow
    from cscperf.warehouse import connect
    from cscperf.web.store import WebStore, users_db_path

    user = WebStore(users_db_path(warehouse)).get_user(user_name)
    if user is None:
        raise UserError(f"no dashboard user '{user_name}' (see 'cscperf users list')")
    route = f"returns sign-off {return_id} (os user {_os_user()})"
    con = connect(warehouse)
    try:
        children = workflow.children(con, return_id)
        try:
            found = workflow.sign_off(
                con, return_id, user.name, user.role, before_commit=lambda: _audit(warehouse, user.name, "sign-off", route, children)
            )
        except UserError as exc:
            _audit(warehouse, user.name, "sign-off refused", f"{route}: {exc}")
            raise
    finally:
        con.close()
    click.echo(f"{return_id} signed off by {found.signed_by} at {found.signed_at:%Y-%m-%d %H:%M}; it can no longer change")
