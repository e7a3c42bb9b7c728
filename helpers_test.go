package main

import "github.com/leasetop/leasetop/vaultclient"

func vaultclientConfig() vaultclient.Config { return vaultclient.Config{} }
