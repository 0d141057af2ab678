"""The live web dashboard (`cscperf serve`): pages, roles, audit log and the push API."""
