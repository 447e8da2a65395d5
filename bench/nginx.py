"""nginx run natively for the benchmark: the static-file ceiling and the project's frontend."""

import re
from pathlib import Path

# The first that exists is used; a .template has its ${...} filled in as the nginx image does.
FRONTEND_CONFIGS = (
    "deploy/nginx/bakery.conf.template",
    "deploy/nginx/default.conf.template",
    "deploy/nginx/default.conf",
    "deploy/nginx/nginx.conf",
    "deploy/nginx.conf",
    "deploy/frontend.conf",
    "deploy/nginx/frontend.conf",
)

MAIN = """worker_processes auto;
error_log {dir}/error.log warn;
pid {dir}/nginx.pid;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
{body}
}}
"""

STATIC_SERVER = """    server {{
        listen 127.0.0.1:{port};
        location = /products {{
            types {{ }}
            default_type application/json;
            alias {file};
        }}
    }}"""


def command(workdir, conf):
    """argv running nginx in the foreground with everything under `workdir`."""
    return ["nginx", "-p", str(workdir), "-c", str(conf), "-g", "daemon off;"]


def static_config(workdir, port, body_file):
    """A config serving `body_file` as application/json at /products."""
    return MAIN.format(dir=workdir, body=STATIC_SERVER.format(port=port, file=body_file))


def find_frontend_config(root):
    """The project's frontend nginx config, if there is one."""
    for candidate in FRONTEND_CONFIGS:
        if (Path(root) / candidate).is_file():
            return Path(root) / candidate
    return None


def fill_template(text, values):
    """${NAME} replaced for each NAME in `values`; nginx's own $variables are left alone."""
    for name, value in values.items():
        text = text.replace("${" + name + "}", str(value))
    return text


def frontend_config(text, workdir, port, backend, app_dir):
    """The project's config made to run here: our port, our backend, paths under `workdir`.

    A server-block file (the nginx image's conf.d style) is wrapped in MAIN; a whole
    nginx.conf keeps its own http block, minus what would escape `workdir`.
    """
    text = fill_template(
        text,
        {
            "BACKEND_ADDR": backend,
            "FRONTEND_PORT": f"127.0.0.1:{port}",
            "STATIC_ROOT": app_dir,
            "UPLOAD_ROOT": Path(workdir) / "uploads",  # uploaded pictures: none in the bench, but the config names it
        },
    )
    listens = iter([f"listen 127.0.0.1:{port};"])  # only the first: an IPv6 twin would clash
    text = re.sub(r"\blisten\s+[^;]+;", lambda _: next(listens, ""), text)
    text = re.sub(r"(?<![\w$])(server\s+)(?!127\.)[A-Za-z][\w.-]*:\d+", rf"\g<1>{backend}", text)
    upstreams = set(re.findall(r"upstream\s+([\w.-]+)\s*\{", text))
    text = re.sub(
        r"(proxy_pass\s+https?://)(?!127\.)([A-Za-z][\w.-]*)(:\d+)?",
        lambda m: m.group(0) if m.group(2) in upstreams else m.group(1) + backend,
        text,
    )
    text = re.sub(r"(?m)^\s*resolver\s+[^;]+;", "", text)
    text = re.sub(r"/var/cache/nginx", f"{workdir}/cache", text)
    text = re.sub(r"(\b(?:root|alias)\s+)/(?:app/app/static|app/static)", rf"\g<1>{app_dir}/static", text)
    text = re.sub(r"(\b(?:root|alias)\s+)/usr/share/nginx/html", rf"\g<1>{app_dir}", text)
    if re.search(r"(?m)^\s*http\s*\{", text):
        text = re.sub(r"(?m)^\s*(user|pid|daemon|error_log)\s+[^;]+;", "", text)
        return f"pid {workdir}/nginx.pid;\nerror_log {workdir}/error.log warn;\n{text}"
    return MAIN.format(dir=workdir, body=f"    include /etc/nginx/mime.types;\n{text}")
