import Foundation
import Hummingbird
import PlexusKit

/// `/docs`: a self-contained page (no CDN, no framework) that renders the merged OpenAPI document:
/// every operation with who may call it, its parameters, request and response schemas with an
/// example built from each schema, and the problems it answers with.
enum DocsPage {
    static let page = Endpoint<NoBody, TextBody>("docs", .GET, "/docs", access: .anyone,
        summary: "This API's documentation, rendered from `/openapi.json`.", outputType: .html)
    static let script = Endpoint<NoBody, TextBody>("docsScript", .GET, "/docs/docs.js", access: .anyone,
        summary: "The documentation page's script.", outputType: .javascript)

    static func addRoutes(to router: EndpointRouter) {
        router.on(page) { _, _ in
            var response = Response.html(html)
            response.headers[.contentSecurityPolicy] = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'"
            response.headers[.cacheControl] = "public, max-age=300"
            return response
        }
        router.on(script) { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/javascript; charset=utf-8"
            headers[.cacheControl] = "public, max-age=300"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: javascript)))
        }
    }

    static let html = """
        <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Plexus API</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <style>
        body{font-family:system-ui,sans-serif;margin:0;display:flex;color:#222}
        nav{width:17rem;height:100vh;overflow:auto;position:sticky;top:0;background:#f6f6f8;padding:1rem;box-sizing:border-box;font-size:.9rem}
        nav a{display:block;color:#333;text-decoration:none;padding:.1rem 0}nav h3{margin:1rem 0 .3rem;text-transform:capitalize}
        main{flex:1;padding:1rem 2rem;max-width:60rem}
        section.op{border:1px solid #ddd;border-radius:6px;margin:1rem 0;padding:.6rem 1rem}
        .m{display:inline-block;min-width:4rem;font-weight:bold;font-family:monospace}.GET{color:#0a7}.POST{color:#06c}.PATCH{color:#a60}.PUT{color:#a60}.DELETE{color:#c22}
        code,pre{font-family:ui-monospace,monospace;font-size:.85rem}pre{background:#f4f4f4;padding:.5rem;overflow:auto;border-radius:4px}
        table{border-collapse:collapse;font-size:.9rem}td,th{border-bottom:1px solid #eee;padding:.2rem .6rem;text-align:left;vertical-align:top}
        .auth{font-size:.8rem;background:#eef;border-radius:3px;padding:0 .3rem;margin-left:.5rem}
        </style></head><body><nav id="nav"><strong>Plexus API</strong><p><a href="/openapi.json" download>openapi.json</a></p></nav>
        <main id="main"><p>Loading /openapi.json…</p></main><script src="/docs/docs.js"></script></body></html>
        """

    static let javascript = #"""
        "use strict";
        const el = (tag, attrs, ...children) => {
          const node = document.createElement(tag);
          for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
          for (const child of children) node.append(child && child.nodeType ? child : document.createTextNode(child ?? ""));
          return node;
        };
        let components = {};
        const resolve = (schema) => schema && schema.$ref ? components[schema.$ref.split("/").pop()] || {} : schema || {};
        function example(schema, depth = 0) {
          schema = resolve(schema);
          if (depth > 6) return null;
          if (schema.anyOf) return example(schema.anyOf[0], depth + 1);
          if (schema.enum) return schema.enum[0];
          switch (schema.type) {
            case "string": return ({ uuid: "0192f3c4-5d6e-7f80-9a1b-2c3d4e5f6a7b", "date-time": "2026-11-27T10:00:00.000Z", date: "2026-11-27" })[schema.format] || "string";
            case "integer": return 0;
            case "number": return 0;
            case "boolean": return false;
            case "array": return [example(schema.items, depth + 1)];
            case "object": {
              const result = {};
              for (const [name, property] of Object.entries(schema.properties || {})) result[name] = example(property, depth + 1);
              if (!schema.properties && schema.additionalProperties) result.key = example(schema.additionalProperties, depth + 1);
              return result;
            }
            default: return {};
          }
        }
        function schemaText(schema, depth = 0) {
          const name = schema && schema.$ref ? schema.$ref.split("/").pop() : null;
          schema = resolve(schema);
          const pad = "  ".repeat(depth);
          if (depth > 5) return name || "…";
          if (schema.anyOf) return schemaText(schema.anyOf[0], depth) + " | null";
          if (schema.enum) return schema.enum.map(v => JSON.stringify(v)).join(" | ");
          if (schema.type === "array") return "[" + schemaText(schema.items, depth) + "]";
          if (schema.type === "object") {
            const required = new Set(schema.required || []);
            const lines = Object.entries(schema.properties || {}).map(([key, value]) =>
              pad + "  " + key + (required.has(key) ? "" : "?") + ": " + schemaText(value, depth + 1));
            if (schema.additionalProperties) lines.push(pad + "  [key]: " + schemaText(schema.additionalProperties, depth + 1));
            return (name ? name + " " : "") + "{\n" + lines.join("\n") + "\n" + pad + "}";
          }
          return (schema.type || "any") + (schema.format ? " (" + schema.format + ")" : "");
        }
        function operation(path, method, op) {
          const id = op.operationId;
          const auth = op["x-plexus-roles"] ? "role: " + op["x-plexus-roles"].join(" or ") : op.security ? "signed in" : "public";
          const section = el("section", { class: "op", id }, el("h3", {}, el("span", { class: "m " + method.toUpperCase() }, method.toUpperCase()),
            el("code", {}, path), el("span", { class: "auth" }, auth)), el("p", {}, op.summary || ""));
          if (op.description) section.append(el("p", {}, op.description));
          if (op.parameters) {
            const table = el("table", {}, el("tr", {}, el("th", {}, "parameter"), el("th", {}, "in"), el("th", {}, "type"), el("th", {}, "")));
            for (const p of op.parameters) table.append(el("tr", {}, el("td", {}, el("code", {}, p.name)), el("td", {}, p.in), el("td", {}, schemaText(p.schema)), el("td", {}, p.description || "")));
            section.append(table);
          }
          if (op.requestBody) {
            const [type, media] = Object.entries(op.requestBody.content)[0];
            section.append(el("h4", {}, "Request (" + type + ")"), el("pre", {}, schemaText(media.schema)),
              el("details", {}, el("summary", {}, "Example"), el("pre", {}, JSON.stringify(example(media.schema), null, 2))));
          }
          const responses = el("table", {}, el("tr", {}, el("th", {}, "status"), el("th", {}, "meaning")));
          for (const [status, response] of Object.entries(op.responses)) {
            const cell = el("td", {}, ...response.description.split("\n\n").map(line => el("div", {}, line)));
            const json = response.content && response.content["application/json"];
            if (json) cell.append(el("details", {}, el("summary", {}, "Schema and example"), el("pre", {}, schemaText(json.schema)),
              el("pre", {}, JSON.stringify(example(json.schema), null, 2))));
            responses.append(el("tr", {}, el("td", {}, status), cell));
          }
          section.append(el("h4", {}, "Responses"), responses);
          return section;
        }
        fetch("/openapi.json").then(r => r.json()).then(doc => {
          components = (doc.components || {}).schemas || {};
          const main = document.getElementById("main"), nav = document.getElementById("nav");
          main.replaceChildren(el("h1", {}, doc.info.title), el("p", {}, doc.info.description || ""));
          for (const tag of doc.tags || []) {
            nav.append(el("h3", {}, tag.name));
            main.append(el("h2", { id: "tag-" + tag.name, style: "text-transform:capitalize" }, tag.name), el("p", {}, tag.description || ""));
            for (const [path, methods] of Object.entries(doc.paths).sort()) {
              for (const [method, op] of Object.entries(methods)) {
                if (!(op.tags || []).includes(tag.name)) continue;
                nav.append(el("a", { href: "#" + op.operationId }, method.toUpperCase() + " " + path));
                main.append(operation(path, method, op));
              }
            }
          }
        }).catch(error => { document.getElementById("main").textContent = "Could not load /openapi.json: " + error; });
        """#
}
