//! Checks on `infra/bicep/` that need no Bicep compiler (CI's `bicep` job builds and lints it):
//! every resource the deployment promises is declared, and the names the code and the function
//! bindings use — queues, containers — are the names the Bicep creates.

use std::path::Path;

/// The text of `main.bicep` and every module, with each file's name.
fn bicep_files(root: &Path) -> Vec<(String, String)> {
    let dir = root.join("infra/bicep");
    let mut files = vec![];
    for sub in [dir.clone(), dir.join("modules")] {
        for entry in std::fs::read_dir(&sub).unwrap_or_else(|e| panic!("{}: {e}", sub.display())) {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "bicep") {
                let text = std::fs::read_to_string(&path).unwrap();
                files.push((path.display().to_string(), text));
            }
        }
    }
    files
}

/// Resource types declared (not merely referenced with `existing`) anywhere in the Bicep.
fn declared_types(files: &[(String, String)]) -> Vec<String> {
    files
        .iter()
        .flat_map(|(_, text)| text.lines())
        .map(str::trim)
        .filter(|line| line.starts_with("resource ") && !line.contains(" existing"))
        .filter_map(|line| line.split('\'').nth(1))
        .map(|ty| ty.split('@').next().unwrap_or(ty).to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace_root;

    fn all_text() -> String {
        bicep_files(&workspace_root())
            .into_iter()
            .map(|(_, text)| text)
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_bicep_declares_every_resource_the_deployment_promises() {
        let declared = declared_types(&bicep_files(&workspace_root()));
        for ty in [
            "Microsoft.ManagedIdentity/userAssignedIdentities",
            "Microsoft.Authorization/roleAssignments",
            "Microsoft.Storage/storageAccounts",
            "Microsoft.Storage/storageAccounts/blobServices/containers",
            "Microsoft.Storage/storageAccounts/managementPolicies",
            "Microsoft.ServiceBus/namespaces",
            "Microsoft.ServiceBus/namespaces/queues",
            "Microsoft.EventGrid/systemTopics",
            "Microsoft.EventGrid/systemTopics/eventSubscriptions",
            "Microsoft.Sql/servers",
            "Microsoft.Sql/servers/databases",
            "Microsoft.OperationalInsights/workspaces",
            "Microsoft.Insights/components",
            "Microsoft.KeyVault/vaults",
            "Microsoft.KeyVault/vaults/secrets",
            "Microsoft.Web/serverfarms",
            "Microsoft.Web/sites",
        ] {
            assert!(
                declared.iter().any(|d| d == ty),
                "no `{ty}` declared in infra/bicep"
            );
        }
    }

    #[test]
    fn the_plan_is_flex_consumption_running_the_custom_handler_with_entra_only_sql() {
        let text = all_text();
        for needle in [
            "tier: 'FlexConsumption'",
            "name: 'custom'",
            "alwaysReady: alwaysReady",
            "azureADOnlyAuthentication: true",
            "disableLocalAuth: true",
            "maxDeliveryCount: 10",
            "deadLetteringOnMessageExpiration: true",
            "includedEventTypes: ['Microsoft.Storage.BlobCreated']",
            "subjectBeginsWith: '/blobServices/default/containers/${r.container}/'",
            "enableRbacAuthorization: true",
            "@Microsoft.KeyVault(SecretUri=",
        ] {
            assert!(text.contains(needle), "infra/bicep lacks `{needle}`");
        }
    }

    #[test]
    fn every_queue_a_function_binds_to_is_created_and_blob_events_reach_their_queues() {
        let text = all_text();
        assert!(
            text.contains("var queueNames = ['enrich', 'sync', 'ingest-files', 'video-files']")
        );
        assert!(text.contains("{ container: 'ingest', queue: 'ingest-files' }"));
        assert!(text.contains("{ container: 'videos', queue: 'video-files' }"));
        let functions = workspace_root().join("functions");
        for entry in std::fs::read_dir(&functions).unwrap() {
            let path = entry.unwrap().path().join("function.json");
            let Ok(json) = std::fs::read_to_string(&path) else {
                continue;
            };
            let json: serde_json::Value = serde_json::from_str(&json).unwrap();
            for binding in json["bindings"].as_array().unwrap() {
                if let Some(queue) = binding["queueName"].as_str() {
                    assert!(
                        text.contains(&format!("'{queue}'")),
                        "{} binds queue `{queue}`, which the Bicep does not create",
                        path.display()
                    );
                }
            }
        }
    }

    #[test]
    fn every_container_the_code_uses_is_created() {
        let storage =
            std::fs::read_to_string(workspace_root().join("infra/bicep/modules/storage.bicep"))
                .unwrap();
        for container in ["ingest", "ingest-reports", "videos", "video-frames"] {
            assert!(
                storage.contains(&format!("  '{container}'\n")),
                "container `{container}` is not in storage.bicep's appContainers"
            );
        }
    }
}
