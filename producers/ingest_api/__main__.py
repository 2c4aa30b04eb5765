from producers.ingest_api.main import main

main()
