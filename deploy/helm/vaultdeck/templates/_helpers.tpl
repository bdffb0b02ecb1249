{{/* Names, labels and the values every template derives the same way. */}}

{{- define "vaultdeck.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The object name: the release name when it already says "vaultdeck" (so a release named
vaultdeck gets a Service named vaultdeck, the name the README's URLs use), else
RELEASE-vaultdeck. 63 characters: Service names are DNS labels.
*/}}
{{- define "vaultdeck.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := include "vaultdeck.name" . }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
ClusterRoles and their bindings are cluster-wide: the namespace in the name lets two
releases of the same name in different namespaces coexist.
*/}}
{{- define "vaultdeck.clusterName" -}}
{{- printf "%s-%s" .Release.Namespace (include "vaultdeck.fullname" .) }}
{{- end }}

{{- define "vaultdeck.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "vaultdeck.selectorLabels" -}}
app.kubernetes.io/name: {{ include "vaultdeck.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "vaultdeck.labels" -}}
helm.sh/chart: {{ include "vaultdeck.chart" . }}
{{ include "vaultdeck.selectorLabels" . }}
app.kubernetes.io/version: {{ include "vaultdeck.imageTag" . | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "vaultdeck.imageTag" -}}
{{- .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{- define "vaultdeck.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "vaultdeck.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name: name the existing service account to run as (serviceAccount.create is false)" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Vault's address; by default the Service of a Vault release named `vault` beside us. */}}
{{- define "vaultdeck.vaultAddress" -}}
{{- .Values.vault.address | default (printf "http://vault.%s.svc:8200" .Release.Namespace) }}
{{- end }}

{{/* The TCP port of Vault's address: explicit, or the scheme's. */}}
{{- define "vaultdeck.vaultPort" -}}
{{- $url := urlParse (include "vaultdeck.vaultAddress" .) }}
{{- $port := regexFind ":[0-9]+$" $url.host | trimPrefix ":" }}
{{- if $port }}{{ $port }}{{ else if eq $url.scheme "https" }}443{{ else }}80{{ end }}
{{- end }}

{{/* The base path without a trailing slash: "" for "/", else e.g. "/ui". */}}
{{- define "vaultdeck.basePrefix" -}}
{{- trimSuffix "/" .Values.basePath }}
{{- end }}

{{/*
A value as an environment variable's string. Helm reads numbers in values as float64, which
print as 1.6777216e+07: whole numbers are written as integers.
*/}}
{{- define "vaultdeck.envString" -}}
{{- if and (kindIs "float64" .) (eq (float64 (int64 .)) .) }}
{{- int64 . | toString }}
{{- else }}
{{- toString . }}
{{- end }}
{{- end }}

{{/* Where the CA certificate is mounted, and so what VAULT_CACERT names. */}}
{{- define "vaultdeck.caCertDir" -}}
/etc/vaultdeck/vault-ca
{{- end }}

{{/*
The host names Vaultdeck answers to (VAULTDECK_ALLOWED_HOSTS): the Service's in-cluster
names, the Ingress hosts, and allowedHosts. IP addresses and localhost need no entry.
*/}}
{{- define "vaultdeck.allowedHosts" -}}
{{- $service := include "vaultdeck.fullname" . }}
{{- $namespace := .Release.Namespace }}
{{- $hosts := list $service (printf "%s.%s" $service $namespace) (printf "%s.%s.svc" $service $namespace) (printf "%s.%s.svc.%s" $service $namespace .Values.clusterDomain) }}
{{- if .Values.ingress.enabled }}
{{- $hosts = concat $hosts .Values.ingress.hosts }}
{{- end }}
{{- $hosts = concat $hosts .Values.allowedHosts }}
{{- join "," (uniq $hosts) }}
{{- end }}

{{/*
Settings that would start a broken Vaultdeck are refused here, with what to do instead.
*/}}
{{- define "vaultdeck.validate" -}}
{{- $store := .Values.sessions.store }}
{{- if not (has $store (list "memory" "redis")) }}
{{- fail (printf "sessions.store must be memory or redis, not %q" $store) }}
{{- end }}
{{- if and (gt (int .Values.replicas) 1) (ne $store "redis") }}
{{- fail (printf "replicas is %d but sessions.store is memory: each pod would keep its own sessions, and users would be logged out whenever a request reached another pod. Set sessions.store=redis with sessions.redis.existingSecret (a Secret holding the redis:// URL), or replicas=1." (int .Values.replicas)) }}
{{- end }}
{{- if and (eq $store "redis") (not .Values.sessions.redis.existingSecret) }}
{{- fail "sessions.store is redis: set sessions.redis.existingSecret to a Secret holding the redis:// or rediss:// URL (entry sessions.redis.key)." }}
{{- end }}
{{- if or (not (regexMatch "^/([A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*/?)?$" .Values.basePath)) (regexMatch "(^|/)[.][.]?(/|$)" .Values.basePath) }}
{{- fail (printf "basePath must be / or a path like /ui, not %q" .Values.basePath) }}
{{- end }}
{{- if not (has (toString .Values.cookieSecure) (list "auto" "true" "false")) }}
{{- fail (printf "cookieSecure must be auto, true or false, not %q" (toString .Values.cookieSecure)) }}
{{- end }}
{{- if and .Values.vault.caCert.secretName .Values.vault.caCert.configMapName }}
{{- fail "vault.caCert: set secretName or configMapName, not both" }}
{{- end }}
{{- if not (regexMatch "^https?://" (include "vaultdeck.vaultAddress" .)) }}
{{- fail (printf "vault.address must start with http:// or https://, not %q" (include "vaultdeck.vaultAddress" .)) }}
{{- end }}
{{- if .Values.ingress.pathPrefix }}
{{- if not (regexMatch "^(/[A-Za-z0-9._~-]+)+$" .Values.ingress.pathPrefix) }}
{{- fail (printf "ingress.pathPrefix must be a path like /tools/vault (no trailing slash), not %q" .Values.ingress.pathPrefix) }}
{{- end }}
{{- if not (has .Values.ingress.rewrite (list "ingress-nginx" "none")) }}
{{- fail (printf "ingress.rewrite must be ingress-nginx or none, not %q" .Values.ingress.rewrite) }}
{{- end }}
{{- end }}
{{- range .Values.rbac.testLoginNamespaces }}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$" (toString .)) }}
{{- fail (printf "rbac.testLoginNamespaces: %q is not a namespace name (lower-case letters, digits and '-', at most 63)" (toString .)) }}
{{- end }}
{{- end }}
{{- $setUp := .Values.rbac.setUpServiceAccounts | default dict }}
{{- if and .Values.rbac.testLogins .Values.rbac.testLoginNamespaces $setUp.enabled }}
{{- fail "rbac.testLoginNamespaces keeps token minting out of other namespaces, but rbac.setUpServiceAccounts.enabled needs it in every namespace (set-up creates its account wherever it is asked to): the pod could still mint any account's token. Turn set-up off once its accounts exist, or leave testLoginNamespaces empty." }}
{{- end }}
{{- if and .Values.serviceMonitor.enabled (not .Values.metrics.enabled) }}
{{- fail "serviceMonitor.enabled needs metrics.enabled: the ServiceMonitor scrapes the metrics port" }}
{{- end }}
{{- end }}
