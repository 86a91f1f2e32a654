{{/*
Chart name, truncated to the 63 characters a label value allows.
*/}}
{{- define "crm.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name. Truncated at 63 - 11 characters so that suffixes such as
"-migrations" still fit in a DNS label.
*/}}
{{- define "crm.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "crm.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels.
*/}}
{{- define "crm.labels" -}}
helm.sh/chart: {{ include "crm.chart" . }}
{{ include "crm.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: {{ include "crm.name" . }}
{{- end }}

{{/*
Selector labels.
*/}}
{{- define "crm.selectorLabels" -}}
app.kubernetes.io/name: {{ include "crm.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Labels of one component. Call with (dict "root" $ "component" "web").
*/}}
{{- define "crm.componentLabels" -}}
{{ include "crm.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
Selector labels of one component. Call with (dict "root" $ "component" "web").
*/}}
{{- define "crm.componentSelectorLabels" -}}
{{ include "crm.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
Name of the ServiceAccount used by web, worker and beat.
*/}}
{{- define "crm.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "crm.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
ServiceAccount of the migration job: it runs before the release's own resources exist on a
first install, so it can only use a ServiceAccount that is already there.
*/}}
{{- define "crm.migrations.serviceAccountName" -}}
{{- if .Values.migrations.serviceAccountName }}
{{- .Values.migrations.serviceAccountName }}
{{- else if not .Values.serviceAccount.create }}
{{- default "default" .Values.serviceAccount.name }}
{{- else }}
{{- "default" }}
{{- end }}
{{- end }}

{{/*
Container image reference.
*/}}
{{- define "crm.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag | toString) }}
{{- end }}

{{/*
The public host name (BASE_DOMAIN); required.
*/}}
{{- define "crm.baseDomain" -}}
{{- required "config.baseDomain is required (the public host, e.g. crm.example.com)" .Values.config.baseDomain | lower }}
{{- end }}

{{/*
Name of the Secret holding the application's secrets.
*/}}
{{- define "crm.secretName" -}}
{{- default (include "crm.fullname" .) .Values.existingSecret }}
{{- end }}

{{/*
Name of the TLS secret of the ingress.
*/}}
{{- define "crm.tlsSecretName" -}}
{{- default (printf "%s-tls" (include "crm.fullname" .)) .Values.ingress.tls.secretName }}
{{- end }}

{{/*
Non-secret environment (ConfigMap data). Rendered once here and used both by the ConfigMap and,
inline, by the migration job, which runs before the ConfigMap exists on a first install.
*/}}
{{- define "crm.configData" -}}
{{- $base := include "crm.baseDomain" . -}}
{{- $c := .Values.config -}}
BASE_DOMAIN: {{ $base | quote }}
ALLOWED_HOSTS: {{ default (printf "%s,.%s" $base $base) $c.allowedHosts | quote }}
NUM_PROXIES: {{ $c.numProxies | toString | quote }}
LOG_LEVEL: {{ $c.logLevel | quote }}
PUBLIC_PORT: {{ $c.publicPort | toString | quote }}
PUBLIC_SCHEME: {{ $c.publicScheme | quote }}
CONN_MAX_AGE: {{ $c.connMaxAge | toString | quote }}
{{- with $c.csrfTrustedOrigins }}
CSRF_TRUSTED_ORIGINS: {{ . | quote }}
{{- end }}
{{- with $c.stripeApiBase }}
STRIPE_API_BASE: {{ . | quote }}
{{- end }}
{{- with $c.email }}
{{- with .backend }}
EMAIL_BACKEND: {{ . | quote }}
{{- end }}
{{- with .host }}
EMAIL_HOST: {{ . | quote }}
{{- end }}
{{- with .port }}
EMAIL_PORT: {{ . | toString | quote }}
{{- end }}
{{- with .hostUser }}
EMAIL_HOST_USER: {{ . | quote }}
{{- end }}
{{- if ne (toString .useTls) "" }}
EMAIL_USE_TLS: {{ .useTls | toString | quote }}
{{- end }}
{{- with .defaultFrom }}
DEFAULT_FROM_EMAIL: {{ . | quote }}
{{- end }}
{{- end }}
{{- range $key, $value := $c.extra }}
{{ $key }}: {{ $value | toString | quote }}
{{- end }}
{{- end }}

{{/*
Secret data (base64) built from .Values.secrets; only when existingSecret is empty.
*/}}
{{- define "crm.secretData" -}}
{{- $s := .Values.secrets -}}
{{- range $key := list "SECRET_KEY" "DATABASE_URL" "CELERY_BROKER_URL" "REDIS_URL" }}
{{- $_ := required (printf "secrets.%s is required when existingSecret is empty" $key) (index $s $key) }}
{{- end }}
{{- range $key, $value := $s }}
{{- if $value }}
{{ $key }}: {{ $value | toString | b64enc | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Checks of values that would otherwise fail only at run time.
*/}}
{{- define "crm.validate" -}}
{{- $executor := .Values.migrations.executor | default "" -}}
{{- if not (has $executor (list "" "standard" "subprocess")) }}
{{- fail (printf "migrations.executor must be \"standard\" or \"subprocess\", not %q" $executor) }}
{{- end }}
{{- if and (not (kindIs "invalid" .Values.migrations.parallel)) (ne $executor "subprocess") }}
{{- fail "migrations.parallel requires migrations.executor=subprocess" }}
{{- end }}
{{- end }}

{{/*
Environment of every application container: the ConfigMap and the Secret, DJANGO_ENV last so
nothing can override it (env wins over envFrom).
*/}}
{{- define "crm.envFrom" -}}
- configMapRef:
    name: {{ include "crm.fullname" . }}
- secretRef:
    name: {{ include "crm.secretName" . }}
{{- with .Values.extraEnvFrom }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "crm.env" -}}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
- name: DJANGO_ENV
  value: production
{{- end }}

{{/*
Pod template annotations: checksums restart the pods when the chart's ConfigMap or Secret
changes (an existingSecret is not seen by Helm; restart the deployments yourself).
Call with (dict "root" $ "values" .Values.web).
*/}}
{{- define "crm.podAnnotations" -}}
checksum/config: {{ include (print .root.Template.BasePath "/configmap.yaml") .root | sha256sum }}
{{- if not .root.Values.existingSecret }}
checksum/secret: {{ include (print .root.Template.BasePath "/secret.yaml") .root | sha256sum }}
{{- end }}
{{- with .root.Values.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- with .values.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Pod template labels. Call with (dict "root" $ "values" .Values.web "component" "web").
*/}}
{{- define "crm.podLabels" -}}
{{ include "crm.componentLabels" (dict "root" .root "component" .component) }}
{{- with .root.Values.podLabels }}
{{ toYaml . }}
{{- end }}
{{- with .values.podLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Scheduling of one component: its own nodeSelector/tolerations/affinity, else the global ones.
Call with (dict "root" $ "values" .Values.web).
*/}}
{{- define "crm.scheduling" -}}
{{- with (default .root.Values.nodeSelector .values.nodeSelector) }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with (default .root.Values.tolerations .values.tolerations) }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with (default .root.Values.affinity .values.affinity) }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
Volumes of every pod: the writable /tmp and any extra volumes.
*/}}
{{- define "crm.volumes" -}}
{{- $emptyDir := dict }}
{{- with .Values.tmpVolume.medium }}
{{- $_ := set $emptyDir "medium" . }}
{{- end }}
{{- with .Values.tmpVolume.sizeLimit }}
{{- $_ := set $emptyDir "sizeLimit" . }}
{{- end }}
- name: tmp
  emptyDir: {{- if $emptyDir }}{{ toYaml $emptyDir | nindent 4 }}{{ else }} {}{{ end }}
{{- with .Values.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "crm.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- with .Values.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Pod-level settings shared by every pod.
*/}}
{{- define "crm.podCommon" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.podSecurityContext }}
securityContext:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
