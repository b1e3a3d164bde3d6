import MCPCore

/// Runs one tool call under the policy: refuses what the operator did not allow, and turns destructive actions
/// into a plan that runs only once confirmed (by a token round trip, or by the person through elicitation).
struct DiscordToolRunner: Sendable {
    let rest: DiscordRESTClient
    let policy: DiscordPolicy
    let confirmations: ConfirmationTokens

    func call(_ tool: DiscordTool, arguments: [String: JSONValue], request: BackendRequest, observer: any BackendRequestObserver)
        async -> JSONValue
    {
        if let unknown = arguments.keys.sorted().first(where: { !tool.argumentNames.contains($0) }) {
            return ToolOutput(
                "\(tool.name) takes no argument \"\(unknown)\" (it takes \(tool.argumentNames.sorted().joined(separator: ", ")))"
            ).result(isError: true)
        }
        if tool.isWrite, let refusal = policy.refusal(guildID: nil, channelID: nil, isWrite: true) {
            return ToolOutput("Refused: \(refusal).").result(isError: true)
        }
        let values = ToolArguments(arguments)
        do throws(ToolFailure) {
            let context = DiscordContext(
                rest: rest, policy: policy, reason: tool.isWrite ? try values.string("reason") : nil)
            for key in tool.required where !values.has(key) { throw ToolFailure("\(key) is required") }
            switch try await tool.prepare(values, context) {
            case .done(let output):
                return output.result()
            case .planned(let write):
                return try await decide(tool, write, values: values, request: request, observer: observer)
            }
        } catch {
            return ToolOutput(error.description, ["error": .string(error.description)], discordStatus: error.discordStatus)
                .result(isError: true)
        }
    }

    private func decide(
        _ tool: DiscordTool, _ write: PlannedWrite, values: ToolArguments, request: BackendRequest,
        observer: any BackendRequestObserver
    ) async throws(ToolFailure) -> JSONValue {
        let dryRun = try values.bool("dry_run") == true
        let confirming = tool.effect == .destructive && policy.requireConfirmation
        // A client that can ask its user does: the model then cannot confirm on its own.
        let asksPerson = confirming && request.clientCapabilities["elicitation"] != nil
        if dryRun || (confirming && !asksPerson && !values.has("confirmation")) {
            return plan(tool, write, values: values, offerToken: confirming && !asksPerson)
        }
        if asksPerson {
            switch await askPerson(tool, write, observer: observer) {
            case .approved: break
            case .declined(let how):
                return ToolOutput(
                    "Not done: the user \(how) \(write.plan). Nothing was changed.",
                    ["executed": false, "plan": .string(write.plan), "user_response": .string(how)]
                ).result()
            }
        } else if confirming {
            let token = try values.requiredString("confirmation")
            if case .refused(let reason) = confirmations.redeem(token, tool: tool.name, arguments: .object(values.values)) {
                throw ToolFailure("Not done: \(reason).")
            }
        }
        var output = try await write.perform()
        output.structured["executed"] = true
        return output.result()
    }

    /// The dry-run answer: the plan, and for destructive actions the token that runs it.
    private func plan(_ tool: DiscordTool, _ write: PlannedWrite, values: ToolArguments, offerToken: Bool) -> JSONValue {
        var text = "Dry run, nothing was changed. This would \(write.plan)."
        var structured: [String: JSONValue] = ["executed": false, "dry_run": true, "plan": .string(write.plan)]
        if offerToken {
            let token = confirmations.issue(tool: tool.name, arguments: .object(values.values))
            text +=
                "\nTo do it, call \(tool.name) again with the same arguments and confirmation \"\(token)\" (valid 5 minutes, once). Ask the user first if they have not asked for exactly this."
            structured["confirmation"] = .string(token)
            structured["expires_in_seconds"] = .int(Int64(ConfirmationTokens.lifetime))
        } else if tool.effect == .destructive && policy.requireConfirmation {
            text += "\nCalling it without dry_run asks the user to confirm."
        }
        return ToolOutput(text, structured).result()
    }

    enum Answer {
        case approved
        /// "declined", "cancelled", or "did not confirm".
        case declined(String)
    }

    private func askPerson(_ tool: DiscordTool, _ write: PlannedWrite, observer: any BackendRequestObserver) async -> Answer {
        let params: JSONValue = [
            "mode": "form",
            "message": .string("Discord: \(tool.title). The assistant wants to \(write.plan). Allow it?"),
            "requestedSchema": [
                "type": "object",
                "properties": [
                    "confirm": [
                        "type": "boolean", "title": "Yes, do it", "description": .string("Run: \(write.plan)"), "default": false,
                    ]
                ],
                "required": ["confirm"],
            ],
        ]
        switch await observer.serverRequest(method: "elicitation/create", params: params) {
        case .success(let answer):
            switch answer["action"]?.stringValue {
            case "accept":
                return answer["content"]?["confirm"]?.boolValue == false ? .declined("did not confirm") : .approved
            case "decline": return .declined("declined")
            default: return .declined("cancelled")
            }
        case .failure(let failure):
            return .declined("could not be asked (\(failure.message)), so did not confirm")
        }
    }
}
