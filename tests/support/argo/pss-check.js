#!/usr/bin/env node
// pss-check.js - checks the pods an Argo Workflows manifest describes against the rules of
// the Kubernetes "restricted" Pod Security Standard (kubernetes.io/docs/concepts/security/
// pod-security-standards, v1.25 and later), which a namespace labelled
// pod-security.kubernetes.io/enforce=restricted applies to every pod:
//   baseline: no hostNetwork/hostPID/hostIPC, no privileged or hostProcess containers, no
//     added capabilities beyond the baseline set, no hostPath volumes, no host ports, no
//     custom SELinux types, procMount Default, seccomp not Unconfined, only safe sysctls;
//   restricted: volumes of the allowed types only (configMap, csi, downwardAPI, emptyDir,
//     ephemeral, persistentVolumeClaim, projected, secret), allowPrivilegeEscalation false,
//     runAsNonRoot true and runAsUser not 0, seccompProfile RuntimeDefault or Localhost,
//     capabilities drop ALL and add nothing but NET_BIND_SERVICE.
// A pod of a container template takes the workflow's securityContext (the pod's) and the
// template's (which replaces it), the workflow's and the template's volumes, and the
// template's container, init containers and sidecars. Argo's own init and wait containers
// come from the controller's configuration (executor.securityContext), not the manifest.
// Usage: node pss-check.js FILE...   Prints "ok FILE"; problems on stderr; exit status 1.
'use strict';

const fs = require('fs');
const path = require('path');
const YAML = require(path.join(path.resolve(__dirname, '..', '..', '..'), 'node_modules', 'yaml'));

const VOLUME_TYPES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);
const BASELINE_CAPS = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);
const SAFE_SYSCTLS = new Set(['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes']);
const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);

function checkPod(where, spec, t, problems) {
    const say = (m) => problems.push(`${where}: ${m}`);
    const psc = Object.assign({}, spec.securityContext || {}, t.securityContext || {});
    for (const k of ['hostNetwork', 'hostPID', 'hostIPC']) if (spec[k] || t[k]) say(`${k} is set`);
    for (const s of psc.sysctls || []) if (!SAFE_SYSCTLS.has(s.name)) say(`sysctl '${s.name}' is not allowed`);
    const volumes = (spec.volumes || []).concat(t.volumes || []);
    for (const v of volumes) {
        const type = Object.keys(v).find((k) => k !== 'name');
        if (!VOLUME_TYPES.has(type)) say(`volume '${v.name}' is of type '${type}'`);
    }
    const containers = [].concat(t.container ? [Object.assign({ name: 'main' }, t.container)] : [], t.initContainers || [], t.sidecars || [], t.script ? [Object.assign({ name: 'main' }, t.script)] : []);
    for (const c of containers) {
        const csc = c.securityContext || {};
        const cw = `container '${c.name}'`;
        if (csc.privileged) say(`${cw}: privileged`);
        if ((csc.windowsOptions || {}).hostProcess || (psc.windowsOptions || {}).hostProcess) say(`${cw}: hostProcess`);
        for (const p of c.ports || []) if (p.hostPort) say(`${cw}: hostPort ${p.hostPort}`);
        if (csc.procMount && csc.procMount !== 'Default') say(`${cw}: procMount ${csc.procMount}`);
        const se = csc.seLinuxOptions || psc.seLinuxOptions || {};
        if (se.type !== undefined && !SELINUX_TYPES.has(se.type)) say(`${cw}: SELinux type '${se.type}'`);
        if (se.user || se.role) say(`${cw}: SELinux user or role set`);
        const caps = csc.capabilities || {};
        for (const a of caps.add || []) {
            if (!BASELINE_CAPS.has(a)) say(`${cw}: adds capability ${a} (baseline)`);
            if (a !== 'NET_BIND_SERVICE') say(`${cw}: adds capability ${a}`);
        }
        if (!(caps.drop || []).includes('ALL')) say(`${cw}: capabilities do not drop ALL`);
        if (csc.allowPrivilegeEscalation !== false) say(`${cw}: allowPrivilegeEscalation is not false`);
        const nonRoot = csc.runAsNonRoot !== undefined ? csc.runAsNonRoot : psc.runAsNonRoot;
        if (nonRoot !== true) say(`${cw}: runAsNonRoot is not true`);
        const uid = csc.runAsUser !== undefined ? csc.runAsUser : psc.runAsUser;
        if (uid === 0) say(`${cw}: runAsUser is 0`);
        const sp = csc.seccompProfile || psc.seccompProfile;
        if (!sp || !['RuntimeDefault', 'Localhost'].includes(sp.type)) say(`${cw}: seccompProfile is not RuntimeDefault or Localhost`);
    }
    return containers.length;
}

let bad = 0;
for (const f of process.argv.slice(2)) {
    const text = fs.readFileSync(f, 'utf8');
    const doc = text.trimStart().startsWith('{') ? JSON.parse(text) : YAML.parse(text, { version: '1.1' });
    const spec = doc.kind === 'CronWorkflow' ? doc.spec.workflowSpec : doc.spec;
    const problems = [];
    let pods = 0;
    for (const t of spec.templates || []) if (t.container || t.script) pods += checkPod(`template '${t.name}'`, spec, t, problems) ? 1 : 0;
    if (!pods) problems.push('no pod templates');
    if (problems.length) {
        bad++;
        for (const p of problems) process.stderr.write(`${f}: ${p}\n`);
    } else process.stdout.write(`ok ${f} (${pods} pod templates)\n`);
}
process.exit(bad ? 1 : 0);
