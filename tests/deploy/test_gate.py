"""The access gate (scim-authz) in front of an application under a real
Apache httpd (mod_fcgid) and a real lighttpd: see gate.py."""

import os
import sys
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gate  # noqa: E402
import scimtest  # noqa: E402


class ApacheGate(gate.Gate, unittest.TestCase):
    server_class = gate.ApacheGate


class LighttpdGate(gate.Gate, unittest.TestCase):
    server_class = gate.LighttpdGate


if __name__ == "__main__":
    scimtest.main()
