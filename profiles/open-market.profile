[profile]
id = open-market
