"""The conformance suite (conformance/cases) run through the Python client's protocol functions: one test per case."""
import shutil
import unittest

import conformance
import support
from gamut_redis import protocol as p


@unittest.skipUnless(shutil.which("redis-server"), "redis-server is not installed")
class ConformanceTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.r = support.server().client()
        cls.scripts = p.Scripts(cls.r)

    @classmethod
    def tearDownClass(cls):
        cls.r.close()


def _make(case):
    def test(self):
        try:
            conformance.run_case(self.r, self.scripts, case)
        except conformance.Mismatch as e:
            self.fail(str(e))
    return test


for _i, _case in enumerate(conformance.load_cases()):
    setattr(ConformanceTests, f"test_{_case['file'][:-5].replace('-', '_')}_{_i:02d}", _make(_case))


def tearDownModule():
    support.stop_server()
