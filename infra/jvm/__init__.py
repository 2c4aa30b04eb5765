"""What every local JVM tool (``infra.local_kafka``, ``infra.local_registry``) runs on.

A tool assembles its program from Maven Central once (:mod:`~infra.jvm.assembly`), finds a Java
recent enough (:mod:`~infra.jvm.java`), launches the JVM detached with a pid file
(:mod:`~infra.jvm.lifecycle`), finds it again from any process, pid file or not
(:mod:`~infra.jvm.instance`, :mod:`~infra.jvm.procfs`), waits until it answers
(:mod:`~infra.jvm.readiness`) and stops it. Ports and the state directory: :mod:`~infra.jvm.ports`,
:mod:`~infra.jvm.layout`. What the program is and how it is configured and probed stays with the tool;
errors are raised as the tool's own exception type, which it hands over with the instance.
"""
