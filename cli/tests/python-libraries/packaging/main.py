"""packaging, vendored unchanged: PEP 440 versions and specifiers, PEP 508
requirements and markers (evaluated against an explicit environment, never
the host's), name normalisation, wheel and sdist file names, and PEP 639
license expressions.
"""

from packaging import licenses, markers, requirements, specifiers, utils, version


def versions(params):
    out = []
    for text in params["versions"]:
        try:
            v = version.Version(text)
            out.append(
                {
                    "text": text,
                    "str": str(v),
                    "public": v.public,
                    "base": v.base_version,
                    "release": list(v.release),
                    "pre": list(v.pre) if v.pre else None,
                    "post": v.post,
                    "dev": v.dev,
                    "local": v.local,
                    "epoch": v.epoch,
                    "is_prerelease": v.is_prerelease,
                    "major_minor_micro": [v.major, v.minor, v.micro],
                }
            )
        except version.InvalidVersion as e:
            out.append({"text": text, "error": str(e)})
    valid = [version.Version(t) for t in params["versions"] if _valid(t)]
    return {
        "parsed": out,
        "sorted": [str(v) for v in sorted(valid)],
        "max": str(max(valid)),
    }


def _valid(text):
    try:
        version.Version(text)
        return True
    except version.InvalidVersion:
        return False


def specs(params):
    out = {}
    for spec_text in params["specifiers"]:
        spec = specifiers.SpecifierSet(spec_text)
        out[spec_text] = {
            "str": str(spec),
            "contains": {v: spec.contains(v) for v in params["candidates"]},
            "contains_pre": {v: spec.contains(v, prereleases=True) for v in params["candidates"]},
            "filter": list(spec.filter(params["candidates"])),
            "sorted_specs": sorted(str(s) for s in spec),
        }
    bad = []
    for text in params.get("invalid", []):
        try:
            specifiers.SpecifierSet(text)
            bad.append({"text": text, "error": None})
        except specifiers.InvalidSpecifier as e:
            bad.append({"text": text, "error": str(e)})
    return {"specs": out, "invalid": bad}


def reqs(params):
    out = []
    for text in params["requirements"]:
        try:
            r = requirements.Requirement(text)
            item = {
                "text": text,
                "name": r.name,
                "canonical": utils.canonicalize_name(r.name),
                "extras": sorted(r.extras),
                "specifier": str(r.specifier),
                "url": r.url,
                "marker": str(r.marker) if r.marker else None,
                "str": str(r),
            }
            if r.marker is not None:
                item["evaluations"] = [
                    r.marker.evaluate(dict(env, extra=extra))
                    for env in params["environments"]
                    for extra in ("", "socks")
                ]
            out.append(item)
        except requirements.InvalidRequirement as e:
            out.append({"text": text, "error": str(e)})
    return out


def marker_eval(params):
    out = []
    for text in params["markers"]:
        try:
            m = markers.Marker(text)
            out.append({"text": text, "str": str(m), "results": [m.evaluate(env) for env in params["environments"]]})
        except (markers.InvalidMarker, markers.UndefinedComparison, markers.UndefinedEnvironmentName) as e:
            out.append({"text": text, "error": type(e).__name__, "message": str(e)})
    return out


def names(params):
    wheels = []
    for filename in params["wheels"]:
        try:
            name, ver, build, tags = utils.parse_wheel_filename(filename)
            wheels.append(
                {
                    "name": name,
                    "version": str(ver),
                    "build": list(build),
                    "tags": sorted(str(t) for t in tags),
                }
            )
        except utils.InvalidWheelFilename as e:
            wheels.append({"error": str(e)})
    sdists = []
    for filename in params["sdists"]:
        try:
            name, ver = utils.parse_sdist_filename(filename)
            sdists.append([name, str(ver)])
        except utils.InvalidSdistFilename as e:
            sdists.append({"error": str(e)})
    lic = []
    for expr in params["licenses"]:
        try:
            lic.append(licenses.canonicalize_license_expression(expr))
        except licenses.InvalidLicenseExpression as e:
            lic.append({"error": str(e)})
    return {
        "canonical": {n: utils.canonicalize_name(n) for n in params["names"]},
        "normalized_versions": {v: utils.canonicalize_version(v) for v in params["versions"]},
        "wheels": wheels,
        "sdists": sdists,
        "licenses": lic,
    }


ACTIONS = {
    "versions": versions,
    "specifiers": specs,
    "requirements": reqs,
    "markers": marker_eval,
    "names": names,
}


def execute(action, params):
    return ACTIONS[action](params)
