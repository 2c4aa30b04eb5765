from consumers.query_api.main import main

main()
