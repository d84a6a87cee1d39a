package provider

import (
	"os"
	"strings"
)

// The plugin SDK's loggers write every line they allow to the provider's standard error as
// JSON, and the CLI parses each line before its own level drops it. Left unset, their levels
// default to TRACE, whatever the CLI keeps: a refresh of 1000 images wrote hundreds of
// thousands of trace lines that no one could read, and both processes spent about a third of
// their CPU time writing and parsing them. The CLI keeps provider lines at TF_LOG_PROVIDER,
// or else TF_LOG, and none when neither is set; the plugin sees the same environment.
var sdkLogLevels = []string{
	"TF_LOG_SDK",                  // the SDK's root logger
	"TF_LOG_SDK_PROTO",            // the plugin protocol
	"TF_LOG_SDK_FRAMEWORK",        // the framework
	"TF_LOG_PROVIDER_HETZNER",     // tflog, this provider's own lines
	"TF_LOG_PROVIDER_HETZNER_API", // its API requests (logSubsystem)
}

// LogOnlyWhatTheCLIKeeps sets each SDK log level that is not set already to the level the CLI
// keeps provider lines at (OFF when it keeps none), so that no line is written only to be
// dropped. A level set explicitly is left as it is. Call it before serving, and not in debug
// mode, where the lines go to a terminal rather than to the CLI.
func LogOnlyWhatTheCLIKeeps() {
	level := cliProviderLogLevel(os.Getenv("TF_LOG_PROVIDER"), os.Getenv("TF_LOG"))
	for _, name := range sdkLogLevels {
		if _, set := os.LookupEnv(name); !set {
			_ = os.Setenv(name, level)
		}
	}
}

// cliProviderLogLevel is the level at which Terraform and OpenTofu keep a provider's log lines:
// TF_LOG_PROVIDER, or else TF_LOG; JSON and a level they do not know mean TRACE.
func cliProviderLogLevel(provider, all string) string {
	level := strings.ToUpper(strings.TrimSpace(provider))
	if level == "" {
		level = strings.ToUpper(strings.TrimSpace(all))
	}
	switch level {
	case "":
		return "OFF"
	case "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF":
		return level
	}
	return "TRACE"
}
