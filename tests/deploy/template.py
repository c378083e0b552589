"""Reading the packaged template in tests: resources by type, a function's
environment and role, a role's statements."""

from __future__ import annotations

from typing import Any

FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")


def of_type(template: dict[str, Any], *types: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] in types}


def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return of_type(template, *FUNCTION_TYPES)


def environment(template: dict[str, Any], function: dict[str, Any]) -> dict[str, Any]:
    """A function's environment as SAM makes it: Globals merged with its own."""
    globals_ = template.get("Globals", {}).get("Function", {})
    merged = dict(globals_.get("Environment", {}).get("Variables", {}))
    merged.update(function["Properties"].get("Environment", {}).get("Variables", {}))
    return merged


def role_of(function: dict[str, Any]) -> str:
    return function["Properties"]["Role"]["Fn::GetAtt"][0]


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements(template: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Role → its statements, both branches of any Fn::If."""
    by_role = {}
    for role_id, role in of_type(template, "AWS::IAM::Role").items():
        found = []
        for policy in role["Properties"]["Policies"]:
            for statement in policy["PolicyDocument"]["Statement"]:
                if "Fn::If" in statement:
                    found.extend(statement["Fn::If"][1:])
                else:
                    found.append(statement)
        by_role[role_id] = found
    return by_role


def function_statements(template: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Function logical id → its role's statements."""
    by_role = statements(template)
    return {name: by_role[role_of(f)] for name, f in functions(template).items()}
