"""The test suite's shared URL builders (tests/route_builders.py) are werkzeug's own."""

from __future__ import annotations

from werkzeug.routing.rules import Rule


def _code(function) -> tuple:
    code = function.__code__
    return (code.co_code, code.co_consts, code.co_names, code.co_varnames, function.__defaults__)


def test_every_rule_builds_with_the_code_werkzeug_writes_for_it(app):
    compile_builder = Rule._compile_builder
    assert getattr(compile_builder, "_shared", False), "the suite's builders are not installed"
    fresh = compile_builder.__wrapped__
    rules = list(app.url_map.iter_rules())
    assert len(rules) > 100
    for rule in rules:
        assert _code(rule._build.__func__) == _code(fresh(rule, False)), rule.rule
        assert _code(rule._build_unknown.__func__) == _code(fresh(rule, True)), rule.rule


def test_a_default_that_fills_a_placeholder_is_compiled_for_its_rule():
    from werkzeug.routing import Map

    one = Rule("/page/<int:number>", defaults={"number": 1}, endpoint="first")
    other = Rule("/page/<int:number>", defaults={"number": 2}, endpoint="second")
    Map([one, other])
    assert one.build({"number": 1}) == ("", "/page/1")
    assert other.build({"number": 2}) == ("", "/page/2")


def test_urls_with_query_arguments_and_converters_are_built_as_before(app):
    from flask import url_for

    with app.test_request_context():
        assert url_for("static", filename="css/app.css", v="1") == "/static/css/app.css?v=1"
        assert url_for("readiness.unit", campaign_id=3, unit_id=7) == (
            "/readiness/campaigns/3/units/7"
        )
