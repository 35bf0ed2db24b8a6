using YamlDotNet.RepresentationModel;

namespace Plinto.IdentityServer.Tests.Deployment;

/// <summary>The chart as <c>helm template</c> renders it (Helm 4, fetched by build.sh).</summary>
internal sealed class HelmChartTests
{
    private IReadOnlyList<YamlMappingNode> example = null!;

    [OneTimeSetUp]
    public async Task RenderExampleAsync()
    {
        var (exitCode, documents, errors) = await Manifests.TemplateAsync("-f", Manifests.ExampleValues);
        Assert.That(exitCode, Is.Zero, errors);
        example = documents;
    }

    private YamlMappingNode Deployment => example.Single("Deployment");

    private YamlNode Container => Deployment.At("spec.template.spec.containers.0")!;

    [Test]
    public void Nodes_are_probed_on_the_health_endpoints()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Container.Str("livenessProbe.httpGet.path"), Is.EqualTo("/health/live"));
            Assert.That(Container.Str("readinessProbe.httpGet.path"), Is.EqualTo("/health/ready"));
            Assert.That(Container.Str("startupProbe.httpGet.path"), Is.EqualTo("/health/live"));
            Assert.That(Container.Str("readinessProbe.httpGet.port"), Is.EqualTo("http"));
            Assert.That(Container.Str("resources.requests.cpu"), Is.Not.Null.And.Not.Empty);
            Assert.That(Container.Str("resources.limits.memory"), Is.Not.Null.And.Not.Empty);
        });
    }

    [Test]
    public void Nodes_and_the_migration_job_run_as_non_root_with_no_privileges()
    {
        var job = example.Single("Job");
        foreach (var (name, pod) in new[] { ("nodes", Deployment.At("spec.template.spec")!), ("migration job", job.At("spec.template.spec")!) })
        {
            var container = pod.At("containers.0")!;
            Assert.Multiple(() =>
            {
                Assert.That(pod.Str("securityContext.runAsNonRoot"), Is.EqualTo("true"), name);
                Assert.That(int.Parse(pod.Str("securityContext.runAsUser")!, System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThan(0), name);
                Assert.That(pod.Str("automountServiceAccountToken"), Is.EqualTo("false"), name);
                Assert.That(container.Str("securityContext.allowPrivilegeEscalation"), Is.EqualTo("false"), name);
                Assert.That(container.Str("securityContext.readOnlyRootFilesystem"), Is.EqualTo("true"), name);
                Assert.That(container.Items("securityContext.capabilities.drop").Any() || container.At("securityContext.capabilities.drop.0") is YamlScalarNode { Value: "ALL" }, Is.True, name);
            });
        }
    }

    [Test]
    public void Database_keys_and_client_secrets_come_from_existing_secrets()
    {
        var env = Container.Items("env").ToDictionary(e => e.Str("name")!);
        Assert.Multiple(() =>
        {
            Assert.That(env["Plinto__Database__ConnectionString"].Str("valueFrom.secretKeyRef.name"), Is.EqualTo("plinto-database"));
            Assert.That(env["Plinto__Database__ConnectionString"].Str("valueFrom.secretKeyRef.key"), Is.EqualTo("connection-string"));
            Assert.That(env["Plinto__Clients__0__ClientSecret"].Str("valueFrom.secretKeyRef.name"), Is.EqualTo("plinto-client-web"));
            Assert.That(env["Plinto__Bootstrap__AdminPassword"].Str("valueFrom.secretKeyRef.name"), Is.EqualTo("plinto-admin"));
            Assert.That(env["Plinto__Email__Smtp__Password"].Str("valueFrom.secretKeyRef.name"), Is.EqualTo("plinto-smtp"));
            Assert.That(env.Keys, Has.None.EqualTo("Plinto__Clients__1__ClientSecret"), "the public client has no secret");
        });

        var keys = Deployment.Items("spec.template.spec.volumes").Single(v => v.Str("name") == "keys");
        Assert.That(keys.Str("secret.secretName"), Is.EqualTo("plinto-keys"));
        var mount = Container.Items("volumeMounts").Single(m => m.Str("name") == "keys");
        Assert.That(mount.Str("readOnly"), Is.EqualTo("true"));

        var config = example.Single("ConfigMap");
        Assert.Multiple(() =>
        {
            Assert.That(config.Str("data.Plinto__Keys__SigningKeyFiles__0"), Is.EqualTo(mount.Str("mountPath") + "/signing-2026.pem"));
            Assert.That(config.Str("data.Plinto__Keys__SigningKeyFiles__1"), Is.EqualTo(mount.Str("mountPath") + "/signing-2025.pem"));
            Assert.That(config.Str("data.Plinto__Keys__EncryptionKeyFiles__0"), Is.EqualTo(mount.Str("mountPath") + "/encryption.pem"));
            // No secret value is ever rendered into the ConfigMap.
            Assert.That(((YamlMappingNode)config.At("data")!).Children.Keys.Select(k => k.ToString()),
                Has.None.Contains("Secret").And.None.Contains("Password").And.None.Contains("ConnectionString"));
        });
    }

    [Test]
    public void Migrations_run_as_a_pre_install_and_pre_upgrade_hook_and_the_nodes_do_not_migrate()
    {
        var job = example.Single("Job");
        var container = job.At("spec.template.spec.containers.0")!;
        Assert.Multiple(() =>
        {
            Assert.That(job.At("metadata.annotations")!.Key("helm.sh/hook"), Is.EqualTo("pre-install,pre-upgrade"));
            Assert.That(container.Str("args.0"), Is.EqualTo("migrate"));
            Assert.That(container.Str("image"), Is.EqualTo(Container.Str("image")), "the job runs the release's image");
            Assert.That(job.Str("spec.template.spec.restartPolicy"), Is.EqualTo("Never"));
            Assert.That(example.Single("ConfigMap").Str("data.Plinto__Database__MigrateOnStart"), Is.EqualTo("false"));
        });

        // The job's pods never match the Service or the Deployment's selector.
        var selector = (YamlMappingNode)example.Single("Service").At("spec.selector")!;
        var jobLabels = (YamlMappingNode)job.At("spec.template.metadata.labels")!;
        Assert.That(selector.Children.All(l => jobLabels.Children.TryGetValue(l.Key, out var v) && v.ToString() == l.Value.ToString()), Is.False);
    }

    [Test]
    public async Task Without_the_migration_job_the_nodes_migrate_at_start()
    {
        var (exitCode, documents, errors) = await Manifests.TemplateAsync("-f", Manifests.ExampleValues, "--set", "migrations.enabled=false");
        Assert.That(exitCode, Is.Zero, errors);
        Assert.That(documents.Where(d => d.Str("kind") == "Job"), Is.Empty);
        Assert.That(documents.Single("ConfigMap").Str("data.Plinto__Database__MigrateOnStart"), Is.EqualTo("true"));
    }

    [Test]
    public void Clients_and_scopes_are_configuration_as_code_under_documented_keys()
    {
        var data = (YamlMappingNode)example.Single("ConfigMap").At("data")!;
        Assert.Multiple(() =>
        {
            Assert.That(data.Str("Plinto__Clients__0__ClientId"), Is.EqualTo("web"));
            Assert.That(data.Str("Plinto__Clients__0__RedirectUris__0"), Is.EqualTo("https://app.example.com/signin-oidc"));
            Assert.That(data.Str("Plinto__Clients__0__GrantTypes__1"), Is.EqualTo("refresh_token"));
            Assert.That(data.Str("Plinto__Clients__1__ClientId"), Is.EqualTo("spa"));
            Assert.That(data.Str("Plinto__Scopes__0__Resources__0"), Is.EqualTo("https://api.example.com"));
            Assert.That(data.Str("Plinto__Issuer"), Is.EqualTo("https://id.example.com/"));
        });

        var documented = Manifests.DocumentedKeys();
        var rendered = data.Children.Keys.Select(k => k.ToString())
            .Concat(Container.Items("env").Select(e => e.Str("name")!))
            .Where(k => k.StartsWith("Plinto__", StringComparison.Ordinal));
        Assert.That(rendered.Where(k => !documented.Contains(Manifests.Normalize(k))), Is.Empty, "keys the chart sets but docs/configuration.md does not document");
    }

    [TestCase("issuer=", "/issuer")]
    [TestCase("issuer=http://id.example.com/", "/issuer")]
    [TestCase("database.existingSecret.name=", "/database/existingSecret/name")]
    [TestCase("keys.existingSecret.name=", "/keys/existingSecret/name")]
    [TestCase("email.smtp.host=", "/email/smtp/host")]
    [TestCase("database.provider=Sqlite", "/database/provider")]
    [TestCase("podSecurityContext.runAsNonRoot=false", "/podSecurityContext/runAsNonRoot")]
    public async Task The_schema_refuses_bad_values_naming_them(string value, string path)
    {
        var (exitCode, _, errors) = await Manifests.TemplateAsync("-f", Manifests.ExampleValues, "--set", value);
        Assert.That(exitCode, Is.Not.Zero);
        Assert.That(errors, Does.Contain(path));
    }

    [Test]
    public async Task Access_token_encryption_keys_are_their_own_files()
    {
        Assert.That(example.Single("ConfigMap").At("data")!.Key("Plinto__Keys__AccessTokenEncryptionKeyFiles__0"), Is.Null, "none unless listed");

        var (exitCode, documents, errors) = await Manifests.TemplateAsync("-f", Manifests.ExampleValues,
            "--set", "keys.accessTokenEncryption={resource-servers-2026.pem}");

        Assert.That(exitCode, Is.Zero, errors);
        var mount = documents.Single("Deployment").At("spec.template.spec.containers.0")!.Items("volumeMounts").Single(m => m.Str("name") == "keys");
        Assert.That(documents.Single("ConfigMap").Str("data.Plinto__Keys__AccessTokenEncryptionKeyFiles__0"),
            Is.EqualTo(mount.Str("mountPath") + "/resource-servers-2026.pem"));
    }

    [Test]
    public async Task Autoscaling_replaces_the_fixed_replica_count()
    {
        Assert.That(Deployment.Str("spec.replicas"), Is.EqualTo("2"));
        Assert.That(example.Where(d => d.Str("kind") == "HorizontalPodAutoscaler"), Is.Empty);

        var (exitCode, documents, errors) = await Manifests.TemplateAsync("-f", Manifests.ExampleValues, "--set", "autoscaling.enabled=true");
        Assert.That(exitCode, Is.Zero, errors);
        var hpa = documents.Single("HorizontalPodAutoscaler");
        Assert.Multiple(() =>
        {
            Assert.That(hpa.Str("spec.scaleTargetRef.name"), Is.EqualTo(documents.Single("Deployment").Str("metadata.name")));
            Assert.That(hpa.Str("spec.minReplicas"), Is.EqualTo("2"));
            Assert.That(documents.Single("Deployment").At("spec.replicas"), Is.Null);
            Assert.That(documents.Single("PodDisruptionBudget").Str("spec.minAvailable"), Is.EqualTo("1"));
        });
    }

    [Test]
    public void The_ingress_serves_the_issuer_host_on_the_public_port_only()
    {
        var ingress = example.Single("Ingress");
        Assert.Multiple(() =>
        {
            Assert.That(ingress.Str("spec.rules.0.host"), Is.EqualTo("id.example.com"));
            Assert.That(ingress.Str("spec.rules.0.http.paths.0.backend.service.port.name"), Is.EqualTo("http"));
            Assert.That(ingress.Str("spec.tls.0.secretName"), Is.EqualTo("plinto-tls"));
            Assert.That(ingress.Items("spec.rules.0.http.paths").Count(), Is.EqualTo(1));
        });

        var config = example.Single("ConfigMap");
        Assert.That(config.Str("data.ASPNETCORE_HTTP_PORTS"), Is.EqualTo("8080;9464"));
        Assert.That(config.Str("data.Plinto__Telemetry__PrometheusPort"), Is.EqualTo("9464"));
    }
}
