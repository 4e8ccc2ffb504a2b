# The options `polydm plugin check` gives the hello-plugin example
# (examples/hello-plugin/README.md).
[profile]
id = plugin-check-hello
abi = 1

[plugin hello-policy]
option.protect = ./Vendor/Hello
