{{- define "plinto.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "plinto.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "plinto.selectorLabels" -}}
app.kubernetes.io/name: {{ include "plinto.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "plinto.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "plinto.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "plinto.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* What both the nodes and the migration job need to reach the database. */}}
{{- define "plinto.databaseEnv" -}}
- name: ASPNETCORE_ENVIRONMENT
  value: Production
- name: Plinto__Database__Provider
  value: {{ .Values.database.provider | quote }}
- name: Plinto__Database__ConnectionString
  valueFrom:
    secretKeyRef:
      name: {{ required "database.existingSecret.name is required" .Values.database.existingSecret.name }}
      key: {{ .Values.database.existingSecret.key }}
{{- end -}}

{{/* The server pods (the migration job's pods carry component=migrations and never match). */}}
{{- define "plinto.serverSelectorLabels" -}}
{{ include "plinto.selectorLabels" . }}
app.kubernetes.io/component: server
{{- end -}}
