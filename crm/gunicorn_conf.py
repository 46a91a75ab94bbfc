"""gunicorn settings read with `-c python:crm.gunicorn_conf`: its logs in the app's format."""

from crm.logs import dict_config

logconfig_dict = dict_config()
