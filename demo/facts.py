"""The demo's medical content: board-style facts, each with its vignette, answer, distractors
(each with why it is wrong), pathophysiology, clinical point and reference, and the titles and
names the demo gives its materials and students. Plain data: the seed writes the verified bank
from it, and the demo student's study notes (demo/notes.py)."""

from typing import NamedTuple


class Fact(NamedTuple):
    topic: str
    subtopic: str
    difficulty: str
    sex: str  # "male", "female" or "any"
    ages: tuple[int, int]
    stem: str  # follows "A 54-year-old man "
    lead: str
    answer: str
    why: str
    distractors: tuple[tuple[str, str], ...]  # (option, why it is wrong)
    pathophysiology: str
    clinical: str
    reference: str


FA = "First Aid for the USMLE Step 1"
# fmt: off
FACTS = (
    Fact(
        "Cardiology", "Myocardial infarction", "medium", "male", (48, 75),
        "comes to the emergency department with 2 hours of crushing substernal chest pain and diaphoresis. "
        "ECG shows ST-segment elevation in leads II, III and aVF.",
        "Which coronary artery is most likely occluded?",
        "Right coronary artery",
        "Leads II, III and aVF face the inferior wall, which the right coronary artery supplies in most hearts.",
        (
            ("Left anterior descending artery", "LAD occlusion raises ST segments in V1-V4 (anterior and septal wall)."),
            ("Left circumflex artery", "Circumflex occlusion shows in the lateral leads I, aVL, V5 and V6."),
            ("Left main coronary artery", "Left main occlusion gives diffuse ST depression with elevation in aVR."),
            ("First diagonal branch", "A diagonal branch supplies the anterolateral wall (I, aVL), not the inferior one."),
        ),
        "Rupture of an atherosclerotic plaque with occlusive thrombus causes transmural inferior ischemia.",
        "Inferior infarcts often involve the right ventricle: avoid nitrates and give fluids if hypotensive.",
        f"{FA}, Cardiovascular: myocardial infarction",
    ),
    Fact(
        "Cardiology", "Valvular disease", "easy", "any", (70, 86),
        "has had two episodes of syncope while climbing stairs. A harsh crescendo-decrescendo systolic murmur is "
        "heard at the right upper sternal border and radiates to the carotid arteries.",
        "Which is the most likely diagnosis?",
        "Aortic stenosis",
        "An ejection murmur at the right upper sternal border radiating to the carotids with exertional syncope is "
        "aortic stenosis.",
        (
            ("Mitral regurgitation", "A holosystolic murmur at the apex that radiates to the axilla."),
            ("Hypertrophic cardiomyopathy", "Its murmur grows with Valsalva and does not radiate to the carotids."),
            ("Aortic regurgitation", "A decrescendo diastolic murmur along the left sternal border."),
            ("Mitral stenosis", "A diastolic rumble after an opening snap, heard at the apex."),
        ),
        "Age-related calcification of the valve obstructs left ventricular outflow; concentric hypertrophy follows.",
        "Syncope, angina and heart failure in aortic stenosis call for valve replacement.",
        f"{FA}, Cardiovascular: heart murmurs",
    ),
    Fact(
        "Cardiology", "Heart failure", "medium", "any", (55, 80),
        "with heart failure and a left ventricular ejection fraction of 30% comes for follow-up. Current medications "
        "are furosemide and lisinopril.",
        "Adding which drug is most likely to reduce mortality?",
        "Metoprolol succinate",
        "Beta blockers (metoprolol succinate, carvedilol, bisoprolol) reduce mortality in HFrEF.",
        (
            ("Digoxin", "Digoxin relieves symptoms and hospitalisations without a mortality benefit."),
            ("Verapamil", "A negative inotrope that worsens heart failure with reduced ejection fraction."),
            ("Amlodipine", "Neutral on mortality in heart failure."),
            ("Hydrochlorothiazide", "Relieves congestion at best; no mortality benefit."),
        ),
        "Chronic sympathetic activation is toxic to myocytes and drives adverse remodelling.",
        "Guideline therapy for HFrEF: beta blocker, ACE inhibitor/ARNI, mineralocorticoid antagonist, SGLT2 inhibitor.",
        f"{FA}, Pharmacology: cardiovascular drugs",
    ),
    Fact(
        "Pulmonology", "Pulmonary embolism", "easy", "any", (45, 80),
        "develops sudden dyspnea and pleuritic chest pain 3 days after a total hip replacement. Pulse is 118/min and "
        "oxygen saturation is 88% on room air; the lungs are clear to auscultation.",
        "Which is the most likely diagnosis?",
        "Pulmonary embolism",
        "Sudden dyspnea, tachycardia and hypoxemia with clear lungs after orthopedic surgery is pulmonary embolism.",
        (
            ("Pneumothorax", "Breath sounds would be absent on one side with hyperresonance."),
            ("Pneumonia", "Fever, productive cough and crackles over a consolidation."),
            ("Atelectasis", "Mild hypoxemia and low-grade fever in the first day after surgery, not a sudden event."),
            ("Acute pericarditis", "Positional chest pain relieved by leaning forward, with a friction rub."),
        ),
        "A deep-vein thrombus embolises to the pulmonary arteries: dead-space ventilation and V/Q mismatch.",
        "Virchow triad (stasis, endothelial injury, hypercoagulability) is complete after hip surgery.",
        f"{FA}, Respiratory: pulmonary emboli",
    ),
    Fact(
        "Pulmonology", "Emphysema", "medium", "any", (32, 48),
        "who has never smoked has progressive dyspnea. Chest CT shows panacinar emphysema of the lower lobes and "
        "serum aminotransferases are mildly elevated.",
        "Deficiency of which protein is most likely?",
        "Alpha-1 antitrypsin",
        "Panacinar, lower-lobe emphysema in a young nonsmoker with liver disease is alpha-1 antitrypsin deficiency.",
        (
            ("CFTR chloride channel", "Cystic fibrosis causes bronchiectasis, not panacinar emphysema."),
            ("Surfactant protein B", "Surfactant deficiency causes neonatal respiratory distress."),
            ("Ceruloplasmin", "Low in Wilson disease, which spares the lungs."),
            ("Dystrophin", "Duchenne dystrophy weakens respiratory muscles but does not cause emphysema."),
        ),
        "Unopposed neutrophil elastase destroys alveolar walls; misfolded protein accumulates in hepatocytes.",
        "Smoking sharply accelerates the emphysema; PAS-positive globules are seen in the liver.",
        f"{FA}, Respiratory: obstructive lung diseases",
    ),
    Fact(
        "Pulmonology", "Sarcoidosis", "hard", "female", (25, 42),
        "has a dry cough and tender red nodules on both shins. Chest x-ray shows bilateral hilar lymphadenopathy; "
        "serum calcium is elevated.",
        "A biopsy of a hilar lymph node would most likely show which finding?",
        "Noncaseating granulomas",
        "Bilateral hilar adenopathy, erythema nodosum and hypercalcemia point to sarcoidosis.",
        (
            ("Caseating granulomas", "Typical of tuberculosis and some fungal infections."),
            ("Reed-Sternberg cells", "Seen in Hodgkin lymphoma."),
            ("Ferruginous bodies", "Asbestos fibres coated with iron, in asbestosis."),
            ("Small round blue cells", "Small cell carcinoma, a central tumour in smokers."),
        ),
        "A Th1 response to an unknown antigen forms granulomas whose macrophages make calcitriol.",
        "Hypercalcemia comes from 1-alpha-hydroxylase activity in granuloma macrophages.",
        f"{FA}, Respiratory: sarcoidosis",
    ),
    Fact(
        "Renal", "Nephrotic syndrome", "medium", "male", (3, 7),
        "has swelling around the eyes. Urinalysis shows 4+ protein and no blood; serum albumin is 1.9 g/dL.",
        "Electron microscopy of a renal biopsy specimen would most likely show which finding?",
        "Effacement of podocyte foot processes",
        "Minimal change disease, the commonest nephrotic syndrome in children, shows only foot-process effacement.",
        (
            ("Subepithelial humps", "Poststreptococcal glomerulonephritis, a nephritic syndrome."),
            ("Spike-and-dome subepithelial deposits", "Membranous nephropathy, the adult nephrotic syndrome."),
            ("Splitting of the glomerular basement membrane", "Alport syndrome, with hearing loss."),
            ("Subendothelial deposits with tram-track", "Membranoproliferative glomerulonephritis."),
        ),
        "Cytokine injury to podocytes loses the basement membrane's charge barrier: selective albuminuria.",
        "It responds to corticosteroids; light microscopy is normal.",
        f"{FA}, Renal: nephrotic syndrome",
    ),
    Fact(
        "Renal", "Diuretics", "medium", "any", (50, 78),
        "started a new antihypertensive drug a month ago. Serum potassium is 3.1 mEq/L and calcium 10.9 mg/dL.",
        "Which drug was most likely started?",
        "Hydrochlorothiazide",
        "Thiazides waste potassium and increase calcium reabsorption in the distal convoluted tubule.",
        (
            ("Furosemide", "Loop diuretics waste calcium: they lower serum calcium."),
            ("Spironolactone", "Potassium-sparing: it raises serum potassium."),
            ("Acetazolamide", "Causes a hyperchloremic metabolic acidosis, not hypercalcemia."),
            ("Lisinopril", "ACE inhibitors raise serum potassium."),
        ),
        "Blocking the Na-Cl cotransporter lowers intracellular sodium, which drives basolateral Na/Ca exchange.",
        "The calcium-sparing effect makes thiazides useful in calcium stone formers.",
        f"{FA}, Renal: diuretics",
    ),
    Fact(
        "Renal", "Nephritic syndrome", "easy", "male", (5, 12),
        "has cola-colored urine and puffy eyes 2 weeks after a sore throat. Blood pressure is 140/90 mm Hg and "
        "serum C3 is low.",
        "Which is the most likely diagnosis?",
        "Poststreptococcal glomerulonephritis",
        "Hematuria, edema and hypertension weeks after pharyngitis with low C3 is poststreptococcal GN.",
        (
            ("IgA nephropathy", "Hematuria within days of an infection, with normal complement."),
            ("Minimal change disease", "Nephrotic: proteinuria without hematuria or hypertension."),
            ("Hemolytic uremic syndrome", "Follows bloody diarrhea, with anemia and thrombocytopenia."),
            ("Alport syndrome", "Hereditary, with sensorineural hearing loss and eye changes."),
        ),
        "Immune complexes with streptococcal antigens deposit in glomeruli and activate complement.",
        "Most children recover fully; adults more often progress.",
        f"{FA}, Renal: nephritic syndrome",
    ),
    Fact(
        "Endocrine", "Thyroid", "easy", "female", (24, 45),
        "has weight loss, palpitations and heat intolerance. She has proptosis and pretibial myxedema; TSH is "
        "suppressed.",
        "Which mechanism underlies this condition?",
        "Antibodies that stimulate the TSH receptor",
        "Graves disease: thyroid-stimulating immunoglobulins, with ophthalmopathy and dermopathy.",
        (
            ("Antibodies against thyroid peroxidase", "Hashimoto thyroiditis, which ends in hypothyroidism."),
            ("An autonomous thyroid nodule", "A toxic adenoma: no eye signs or dermopathy."),
            ("Release of stored hormone after a viral illness", "Subacute thyroiditis, with a painful gland."),
            ("A TSH-secreting pituitary adenoma", "TSH would be high, not suppressed."),
        ),
        "TSH-receptor antibodies also activate orbital fibroblasts, which lay down glycosaminoglycans.",
        "Beta blockers for symptoms; methimazole, radioiodine or surgery for the gland.",
        f"{FA}, Endocrine: hyperthyroidism",
    ),
    Fact(
        "Endocrine", "Diabetes", "medium", "any", (13, 30),
        "with type 1 diabetes has abdominal pain, vomiting and deep, rapid breathing. Glucose is 520 mg/dL, "
        "bicarbonate 9 mEq/L and serum ketones are positive.",
        "Which is the most appropriate initial step in management?",
        "Intravenous 0.9% saline",
        "Diabetic ketoacidosis is treated first with fluids, then intravenous insulin with potassium replacement.",
        (
            ("Intravenous sodium bicarbonate", "Reserved for a pH below 6.9."),
            ("Subcutaneous insulin glargine", "DKA needs an intravenous regular insulin infusion."),
            ("Oral metformin", "No role in type 1 diabetes, and dangerous in acidosis."),
            ("Intravenous 50% dextrose", "Dextrose is added only once glucose falls to about 200-250 mg/dL."),
        ),
        "Insulin deficiency frees lipolysis; the liver turns fatty acids into ketoacids.",
        "Total-body potassium is low even when serum potassium is normal or high.",
        f"{FA}, Endocrine: diabetic ketoacidosis",
    ),
    Fact(
        "Endocrine", "Adrenal", "hard", "any", (35, 60),
        "has hypertension despite three drugs. Serum potassium is 2.9 mEq/L; plasma aldosterone is high and renin "
        "activity is suppressed.",
        "Which is the most likely diagnosis?",
        "Primary hyperaldosteronism",
        "High aldosterone with low renin, hypertension and hypokalemia is primary hyperaldosteronism.",
        (
            ("Renal artery stenosis", "Secondary hyperaldosteronism: renin is high."),
            ("Pheochromocytoma", "Episodic headache, sweating and palpitations; the renin-aldosterone axis is normal."),
            ("Cushing syndrome", "Cortisol excess: central obesity, striae, proximal weakness."),
            ("Liddle syndrome", "Both aldosterone and renin are low."),
        ),
        "An adrenal adenoma or bilateral hyperplasia secretes aldosterone autonomously.",
        "Treat an adenoma with surgery, hyperplasia with spironolactone or eplerenone.",
        f"{FA}, Endocrine: hyperaldosteronism",
    ),
    Fact(
        "Gastroenterology", "Malabsorption", "easy", "any", (20, 40),
        "has chronic diarrhea, bloating and iron-deficiency anemia, with an itchy vesicular rash on the elbows.",
        "Which is the best initial screening test?",
        "Serum IgA anti-tissue transglutaminase antibodies",
        "Celiac disease (dermatitis herpetiformis, iron deficiency) is screened for with IgA anti-tTG.",
        (
            ("Stool ova and parasites", "Looks for Giardia and other parasites."),
            ("Hydrogen breath test", "Diagnoses lactose intolerance and bacterial overgrowth."),
            ("Colonoscopy", "Celiac disease affects the small bowel; the biopsy is duodenal."),
            ("Anti-Saccharomyces cerevisiae antibodies", "Associated with Crohn disease."),
        ),
        "Gliadin deamidated by tissue transglutaminase drives a T-cell response: villous atrophy.",
        "Check total IgA too: IgA deficiency is common in celiac disease and gives a false negative.",
        f"{FA}, Gastrointestinal: malabsorption syndromes",
    ),
    Fact(
        "Gastroenterology", "Inflammatory bowel disease", "medium", "any", (18, 35),
        "has crampy abdominal pain, nonbloody diarrhea and a perianal fistula. Colonoscopy shows skip lesions with "
        "a cobblestone mucosa.",
        "A biopsy specimen would most likely show which finding?",
        "Transmural inflammation with noncaseating granulomas",
        "Skip lesions, cobblestoning and fistulas are Crohn disease: transmural, with granulomas.",
        (
            ("Mucosal inflammation with crypt abscesses only", "Ulcerative colitis, continuous from the rectum."),
            ("Flask-shaped ulcers", "Entamoeba histolytica."),
            ("PAS-positive foamy macrophages", "Whipple disease."),
            ("Villous atrophy with crypt hyperplasia", "Celiac disease."),
        ),
        "A Th1-mediated response to gut flora in a genetically susceptible host (NOD2).",
        "Smoking worsens Crohn disease; fistulas and strictures are typical complications.",
        f"{FA}, Gastrointestinal: inflammatory bowel diseases",
    ),
    Fact(
        "Gastroenterology", "Hepatitis", "hard", "any", (22, 55),
        "has routine preoperative blood tests. Serology shows HBsAg negative, anti-HBs positive and anti-HBc "
        "negative.",
        "Which best explains these results?",
        "Immunity from hepatitis B vaccination",
        "Anti-HBs alone, without anti-HBc, means immunity from the vaccine (which contains only HBsAg).",
        (
            ("Resolved natural infection", "Would also have IgG anti-HBc."),
            ("Chronic hepatitis B infection", "HBsAg stays positive for more than 6 months."),
            ("Acute infection in the window period", "IgM anti-HBc would be positive."),
            ("Acute hepatitis B infection", "HBsAg and IgM anti-HBc would be positive."),
        ),
        "The vaccine is recombinant surface antigen: it raises antibody to HBsAg only.",
        "Health-care workers are checked for anti-HBs after vaccination.",
        f"{FA}, Microbiology: hepatitis serologic markers",
    ),
    Fact(
        "Neurology", "Neuromuscular junction", "medium", "female", (22, 40),
        "has double vision and drooping eyelids that get worse toward the end of the day and improve with rest.",
        "Antibodies against which structure are most likely responsible?",
        "Postsynaptic acetylcholine receptors",
        "Fatigable ptosis and diplopia are myasthenia gravis: antibodies to the acetylcholine receptor.",
        (
            ("Presynaptic voltage-gated calcium channels", "Lambert-Eaton: weakness improves with use."),
            ("Peripheral nerve myelin", "Guillain-Barre: ascending weakness and areflexia."),
            ("Aquaporin-4", "Neuromyelitis optica: optic neuritis and myelitis."),
            ("Ganglioside GQ1b", "Miller Fisher syndrome: ophthalmoplegia, ataxia and areflexia."),
        ),
        "Antibodies block and internalise receptors and activate complement at the endplate.",
        "Check for a thymoma with chest CT.",
        f"{FA}, Neurology: neuromuscular junction diseases",
    ),
    Fact(
        "Neurology", "Stroke", "medium", "any", (58, 84),
        "has sudden weakness and numbness of the right face and arm, worse than the leg, and cannot speak "
        "fluently but follows commands.",
        "Occlusion of which artery is most likely?",
        "Left middle cerebral artery",
        "Contralateral face and arm deficits with Broca aphasia localise to the dominant MCA territory.",
        (
            ("Left anterior cerebral artery", "Leg weakness more than arm."),
            ("Right middle cerebral artery", "Left-sided deficits, with hemineglect."),
            ("Left posterior cerebral artery", "Contralateral hemianopia with macular sparing."),
            ("Basilar artery", "Locked-in syndrome, cranial nerve palsies or coma."),
        ),
        "An embolus to the MCA infarcts the lateral frontal and parietal cortex, including Broca area.",
        "Within 4.5 hours, consider thrombolysis; large-vessel occlusion may be treated by thrombectomy.",
        f"{FA}, Neurology: stroke anatomy",
    ),
    Fact(
        "Neurology", "Movement disorders", "easy", "male", (60, 82),
        "has a resting tremor of the right hand, slow movements and cogwheel rigidity.",
        "Degeneration of neurons in which structure is most likely?",
        "Substantia nigra pars compacta",
        "Parkinson disease: loss of dopaminergic neurons of the substantia nigra pars compacta.",
        (
            ("Caudate nucleus", "Atrophies in Huntington disease."),
            ("Nucleus basalis of Meynert", "Cholinergic loss in Alzheimer disease."),
            ("Cerebellar vermis", "Truncal ataxia."),
            ("Subthalamic nucleus", "A lesion causes contralateral hemiballismus."),
        ),
        "Alpha-synuclein Lewy bodies accompany the loss of nigrostriatal dopamine.",
        "Levodopa with carbidopa is the most effective symptomatic treatment.",
        f"{FA}, Neurology: movement disorders",
    ),
    Fact(
        "Pharmacology", "Drug interactions", "hard", "any", (62, 85),
        "who takes warfarin for atrial fibrillation starts an antibiotic; 5 days later the gums bleed and the INR "
        "is 6.2.",
        "Which antibiotic was most likely prescribed?",
        "Trimethoprim-sulfamethoxazole",
        "Sulfamethoxazole inhibits CYP2C9 and displaces warfarin from albumin: the INR rises.",
        (
            ("Rifampin", "A CYP inducer: it lowers the INR."),
            ("Nafcillin", "Induces CYP enzymes: it lowers the INR."),
            ("Nitrofurantoin", "No clinically important interaction with warfarin."),
            ("Fosfomycin", "A single dose with no CYP interaction."),
        ),
        "S-warfarin, the more potent enantiomer, is cleared by CYP2C9.",
        "Check the INR within days whenever a drug is added to warfarin.",
        f"{FA}, Pharmacology: cytochrome P-450 interactions",
    ),
    Fact(
        "Pharmacology", "Anesthesia", "medium", "any", (18, 50),
        "develops a temperature of 40.5 C, generalised muscle rigidity and rising end-tidal CO2 minutes after "
        "induction of anesthesia with sevoflurane and succinylcholine.",
        "Which drug should be given?",
        "Dantrolene",
        "Malignant hyperthermia is treated with dantrolene, which blocks calcium release from the ryanodine receptor.",
        (
            ("Bromocriptine", "Used in neuroleptic malignant syndrome."),
            ("Cyproheptadine", "A serotonin antagonist for serotonin syndrome."),
            ("Acetaminophen", "Lowers the hypothalamic set point; this fever is muscular."),
            ("Neostigmine", "Reverses nondepolarizing neuromuscular blockade."),
        ),
        "A mutant ryanodine receptor (RYR1) releases calcium uncontrollably when exposed to the triggers.",
        "The trait is autosomal dominant: relatives should be warned.",
        f"{FA}, Pharmacology: inhaled anesthetics",
    ),
    Fact(
        "Pharmacology", "Toxicology", "easy", "male", (30, 62),
        "is brought in from the fields, where he was spraying crops, with miosis, salivation, wheezing with copious "
        "secretions, diarrhea and a pulse of 44/min.",
        "Which is the most appropriate treatment?",
        "Atropine and pralidoxime",
        "Organophosphate poisoning: atropine for muscarinic effects, pralidoxime to regenerate cholinesterase.",
        (
            ("Physostigmine", "A cholinesterase inhibitor: it would make this worse."),
            ("Naloxone", "Opioids cause miosis, but not secretions or diarrhea."),
            ("Flumazenil", "Reverses benzodiazepines."),
            ("N-acetylcysteine", "The antidote for acetaminophen."),
        ),
        "Organophosphates irreversibly phosphorylate acetylcholinesterase: acetylcholine accumulates.",
        "Pralidoxime must be given before the enzyme ages.",
        f"{FA}, Pharmacology: toxicities and antidotes",
    ),
    Fact(
        "Microbiology", "Pneumonia", "easy", "any", (55, 80),
        "has fever, a cough with rust-colored sputum and right lower lobe consolidation. Sputum Gram stain shows "
        "lancet-shaped gram-positive diplococci.",
        "Which is the most likely organism?",
        "Streptococcus pneumoniae",
        "Lancet-shaped gram-positive diplococci with lobar pneumonia are pneumococci.",
        (
            ("Staphylococcus aureus", "Gram-positive cocci in clusters."),
            ("Klebsiella pneumoniae", "Gram-negative rods; currant-jelly sputum in alcoholics."),
            ("Mycoplasma pneumoniae", "No cell wall: not seen on Gram stain."),
            ("Legionella pneumophila", "Stains poorly; causes hyponatremia and diarrhea."),
        ),
        "The polysaccharide capsule resists phagocytosis; splenic function is the main defence.",
        "The commonest cause of community-acquired pneumonia.",
        f"{FA}, Microbiology: Streptococcus pneumoniae",
    ),
    Fact(
        "Microbiology", "Clostridioides difficile", "medium", "any", (60, 85),
        "has profuse watery diarrhea and abdominal cramps 6 days after starting clindamycin for cellulitis. A stool "
        "toxin test is positive.",
        "Which is the most appropriate treatment?",
        "Oral vancomycin",
        "Oral vancomycin (or fidaxomicin) treats C. difficile colitis.",
        (
            ("Intravenous vancomycin", "Does not reach the colon lumen."),
            ("Loperamide", "Slows clearance of the toxin."),
            ("Ciprofloxacin", "A fluoroquinolone is a risk factor, not a treatment."),
            ("Intravenous ceftriaxone", "Cephalosporins predispose to the infection."),
        ),
        "Antibiotics clear the normal flora; toxins A and B glucosylate Rho GTPases in colonocytes.",
        "Alcohol hand rubs do not kill spores: wash with soap and water.",
        f"{FA}, Microbiology: Clostridioides difficile",
    ),
    Fact(
        "Microbiology", "Meningitis", "medium", "any", (18, 22),
        "who lives in a college dormitory has fever, neck stiffness and a petechial rash. The CSF Gram stain "
        "shows gram-negative diplococci.",
        "Which is the most likely organism?",
        "Neisseria meningitidis",
        "Gram-negative diplococci with petechiae in a young adult in a dormitory are meningococci.",
        (
            ("Streptococcus pneumoniae", "Gram-positive diplococci."),
            ("Haemophilus influenzae", "Gram-negative coccobacilli, mainly in unvaccinated children."),
            ("Listeria monocytogenes", "Gram-positive rods, in neonates and the elderly."),
            ("Escherichia coli K1", "Gram-negative rods, in neonates."),
        ),
        "Lipooligosaccharide endotoxin drives sepsis and disseminated intravascular coagulation.",
        "Close contacts get prophylaxis with rifampin, ciprofloxacin or ceftriaxone.",
        f"{FA}, Microbiology: Neisseria",
    ),
    Fact(
        "Hematology", "Anemia", "easy", "female", (20, 45),
        "has fatigue and heavy menstrual periods. Hemoglobin is 9.1 g/dL with microcytic red cells; ferritin is low "
        "and total iron-binding capacity is high.",
        "Which is the most likely diagnosis?",
        "Iron deficiency anemia",
        "Microcytosis with low ferritin and high TIBC is iron deficiency, here from menstrual loss.",
        (
            ("Anemia of chronic disease", "Ferritin normal or high, TIBC low."),
            ("Beta-thalassemia minor", "Normal iron studies and raised HbA2."),
            ("Sideroblastic anemia", "High serum iron and ringed sideroblasts."),
            ("Vitamin B12 deficiency", "Macrocytic, with neurologic signs."),
        ),
        "Without iron, heme synthesis fails and red cells divide further: small, pale cells.",
        "In men and postmenopausal women, look for gastrointestinal blood loss.",
        f"{FA}, Hematology: microcytic anemias",
    ),
    Fact(
        "Hematology", "Coagulation", "hard", "any", (45, 78),
        "receiving unfractionated heparin after surgery has a platelet count that falls from 250,000 to "
        "90,000/mm3 on day 6, and a new deep-vein thrombosis.",
        "Which is the most appropriate next step?",
        "Stop heparin and start argatroban",
        "Heparin-induced thrombocytopenia: stop all heparin and anticoagulate with a direct thrombin inhibitor.",
        (
            ("Switch to enoxaparin", "Low-molecular-weight heparin cross-reacts with the antibodies."),
            ("Transfuse platelets", "May worsen thrombosis."),
            ("Start warfarin at once", "Risks venous limb gangrene; start only after platelets recover."),
            ("Continue heparin and repeat the count", "Thrombosis will progress."),
        ),
        "IgG against heparin-platelet factor 4 complexes activates platelets: consumption and thrombosis.",
        "Typical onset is 5-10 days after starting heparin.",
        f"{FA}, Hematology: heparin-induced thrombocytopenia",
    ),
    Fact(
        "Hematology", "Bleeding disorders", "medium", "male", (4, 12),
        "has had recurrent joint bleeds since infancy. Platelet count and PT are normal, aPTT is prolonged, and a "
        "maternal uncle had the same problem.",
        "Deficiency of which factor is most likely?",
        "Factor VIII",
        "X-linked hemarthroses with a prolonged aPTT are hemophilia, and hemophilia A (factor VIII) is the common one.",
        (
            ("von Willebrand factor", "Mucocutaneous bleeding, autosomal dominant."),
            ("Factor VII", "Prolongs the PT, not the aPTT."),
            ("Factor XII", "Prolongs the aPTT without bleeding."),
            ("Factor XIII", "Normal PT and aPTT; delayed bleeding from the umbilical stump."),
        ),
        "Without factor VIII the intrinsic tenase complex fails and clots are unstable.",
        "Treat bleeds with factor VIII concentrate or emicizumab prophylaxis.",
        f"{FA}, Hematology: coagulation disorders",
    ),
    Fact(
        "Anatomy", "Upper limb", "easy", "any", (20, 70),
        "fractures the midshaft of the humerus in a fall and afterwards cannot extend the wrist or fingers.",
        "Injury to which nerve is most likely?",
        "Radial nerve",
        "The radial nerve runs in the spiral groove of the humerus: wrist drop follows a midshaft fracture.",
        (
            ("Axillary nerve", "Injured at the surgical neck: deltoid weakness."),
            ("Median nerve", "Supracondylar fracture: ape hand."),
            ("Ulnar nerve", "Medial epicondyle: claw hand."),
            ("Musculocutaneous nerve", "Weak elbow flexion and lateral forearm numbness."),
        ),
        "The nerve lies directly on bone in the spiral groove, where fragments stretch or cut it.",
        "Most such injuries are neurapraxias that recover.",
        f"{FA}, Musculoskeletal: upper limb nerves",
    ),
    Fact(
        "Anatomy", "Head and neck", "medium", "female", (30, 65),
        "has a hoarse voice the day after a total thyroidectomy.",
        "Injury to which nerve is most likely?",
        "Recurrent laryngeal nerve",
        "The recurrent laryngeal nerve runs near the inferior thyroid artery and supplies all intrinsic laryngeal "
        "muscles but the cricothyroid.",
        (
            ("External branch of the superior laryngeal nerve", "Loss of high pitch; the voice is not hoarse."),
            ("Hypoglossal nerve", "The tongue deviates toward the injured side."),
            ("Glossopharyngeal nerve", "Loss of the gag reflex and posterior tongue taste."),
            ("Phrenic nerve", "Paralyses the hemidiaphragm."),
        ),
        "Paralysis of the posterior cricoarytenoid and other intrinsic muscles leaves one vocal fold fixed.",
        "Bilateral injury can obstruct the airway.",
        f"{FA}, Endocrine: thyroid surgery",
    ),
    Fact(
        "Anatomy", "Thorax", "medium", "female", (40, 70),
        "has a winged scapula after an axillary lymph node dissection for breast cancer.",
        "Injury to which nerve is most likely?",
        "Long thoracic nerve",
        "The long thoracic nerve supplies serratus anterior; injury in axillary surgery wings the scapula.",
        (
            ("Thoracodorsal nerve", "Latissimus dorsi: weak adduction and extension."),
            ("Axillary nerve", "Deltoid and teres minor."),
            ("Suprascapular nerve", "Weak initial abduction and external rotation."),
            ("Spinal accessory nerve", "Trapezius: shoulder droop with lateral winging."),
        ),
        "Serratus anterior holds the scapula against the chest wall and rotates it upward.",
        "The patient cannot abduct the arm above the horizontal.",
        f"{FA}, Musculoskeletal: upper limb nerves",
    ),
)
# fmt: on

MATERIAL_TITLES = {
    "Cardiology": ("First Aid Cardiology chapter", "Pathoma Ch. 8: Cardiac pathology"),
    "Pulmonology": ("First Aid Respiratory chapter", "Boards and Beyond: Pulmonary notes"),
    "Renal": ("First Aid Renal chapter", "Pathoma Ch. 12: Kidney and urinary tract"),
    "Endocrine": ("First Aid Endocrine chapter", "Thyroid and adrenal lecture notes"),
    "Gastroenterology": ("First Aid Gastrointestinal chapter", "Pathoma Ch. 10: Gastrointestinal pathology"),
    "Neurology": ("First Aid Neurology chapter", "Neuroanatomy stroke syndromes summary"),
    "Pharmacology": ("First Aid Pharmacology chapter", "Antidotes and drug interactions cheat sheet"),
    "Microbiology": ("Sketchy Micro bacteria notes", "First Aid Microbiology chapter"),
    "Hematology": ("Pathoma Ch. 5: Red blood cell disorders", "Coagulation cascade review"),
    "Anatomy": ("Upper limb nerve injuries", "Head and neck anatomy lecture"),
}
TOPICS = tuple(MATERIAL_TITLES)
FIRST_NAMES = ("Ava", "Noah", "Mia", "Liam", "Zoe", "Omar", "Priya", "Chen", "Lucas", "Amara", "Diego", "Hana")
LAST_NAMES = ("Patel", "Nguyen", "Garcia", "Okafor", "Kim", "Rossi", "Haddad", "Novak", "Silva", "Cohen", "Ito")
